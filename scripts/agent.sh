#!/usr/bin/env bash
# Builds the session agent (agent/berth-agent.c) into agent/build/berth-agent: a static
# binary made with musl-gcc (Debian's musl-tools, installed here when missing).
# Idempotent: rebuilds only when the source is newer than the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
src=agent/berth-agent.c
out=agent/build/berth-agent
if [ -x "$out" ] && [ "$out" -nt "$src" ]; then
  echo "agent: $out is current"
  exit 0
fi
if ! command -v musl-gcc >/dev/null; then
  [ "$(id -u)" -eq 0 ] || { echo "agent: musl-gcc missing; run as root or: apt-get install musl-tools" >&2; exit 1; }
  echo "agent: installing musl-tools (apt)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends musl-tools >/tmp/berth-agent-apt.log 2>&1 \
    || { tail -20 /tmp/berth-agent-apt.log >&2; exit 1; }
fi
mkdir -p agent/build
musl-gcc -static -Os -s -Wall -Wextra -Werror -o "$out.tmp" "$src"
mv "$out.tmp" "$out"
echo "agent: built $out ($(stat -c %s "$out") bytes)"
