#!/usr/bin/env bash
# README command (2): the whole test suite. Brings the engines up (idempotent),
# installs chromium (browser tests) and deps, typechecks, then runs unit tests and the integration suite once per engine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap-engines.sh
bash scripts/browser.sh
bash scripts/deps.sh
echo "test: typecheck"
npx --no-install tsc -p test/tsconfig.json
echo "test: vitest (unit, local, integration-*, image-* (base image builds), engine-restart-*)"
exec npx --no-install vitest run "$@"
