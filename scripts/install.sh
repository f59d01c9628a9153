#!/usr/bin/env bash
# README command (1): install everything and bring berth up.
# Engines (Docker + Podman) and fixture images, npm deps, the build, the `berth` command on PATH,
# then the daemon in the background on its default socket, answering `berth ping`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap-engines.sh
bash scripts/browser.sh
bash scripts/deps.sh
if [ "$(readlink -f "$(command -v berth 2>/dev/null || true)")" != "$(readlink -f bin/berth.cjs)" ]; then
  echo "install: linking the berth command (npm link)"
  npm link --no-audit --no-fund --loglevel=error >/dev/null
fi
bash scripts/daemon.sh start
berth ping
