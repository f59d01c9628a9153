#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard's browser tests (playwright-core drives it
# at /usr/bin/chromium; a browser download is not possible here). Idempotent.
set -euo pipefail
say() { printf 'browser: %s\n' "$*"; }
if dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q 'install ok installed' && [ -x /usr/bin/chromium ]; then
  say "chromium present ($(/usr/bin/chromium --version 2>/dev/null || echo unknown version))"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "browser: must run as root to apt-get install chromium" >&2; exit 1; }
say "installing chromium (apt)"
apt-get update -qq || { echo "browser: apt-get update failed" >&2; exit 1; }
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/tmp/berth-apt-chromium.log 2>&1 \
  || { tail -20 /tmp/berth-apt-chromium.log >&2; echo "browser: apt-get install chromium failed (log: /tmp/berth-apt-chromium.log)" >&2; exit 1; }
say "chromium installed: $(/usr/bin/chromium --version 2>/dev/null || true)"
