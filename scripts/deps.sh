#!/usr/bin/env bash
# Installs npm dependencies when package-lock.json changed since the last install,
# then compiles TypeScript to dist/. Idempotent and quick on a second run.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.berth-lock-hash
want=$( (cat package-lock.json; node --version) | sha256sum | cut -c1-32)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "deps: npm ci (native modules better-sqlite3 and node-pty build from source; about a minute)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
else
  echo "deps: node_modules is current"
fi
bash scripts/agent.sh
echo "deps: compiling TypeScript"
npx --no-install tsc -p tsconfig.json
node scripts/bundle-cli.mjs
node scripts/bundle-web.mjs
