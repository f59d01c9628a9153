#!/usr/bin/env bash
# Starts, stops or reports the background berth daemon on its default socket.
# Usage: scripts/daemon.sh start|stop|restart|status. Log: $BERTH_LOG_DIR/daemon.log (default /var/log/berth).
set -euo pipefail
# Everything this script makes (data dir, build stamp, log) is the daemon's alone.
umask 077
cd "$(dirname "$0")/.."
LOG_DIR=${BERTH_LOG_DIR:-/var/log/berth}
BERTH="node bin/berth.cjs"
DATA_DIR=${BERTH_DATA_DIR:-/var/lib/berth}
LOCK="$DATA_DIR/daemon.lock"
# The build the running daemon was started from (a hash of dist/), so a newer build restarts it.
BUILD_FILE="$DATA_DIR/daemon.build"

running() { $BERTH ping >/dev/null 2>&1; }
build_id() { find dist -type f -name '*.js' -print0 | sort -z | xargs -0 cat | sha256sum | cut -c1-16; }

start() {
  if running; then
    if [ "$(cat "$BUILD_FILE" 2>/dev/null)" = "$(build_id)" ]; then echo "daemon: already running ($($BERTH info | head -1))"; return; fi
    echo "daemon: running from an older build; restarting it"
    stop
  fi
  # install -d leaves an existing dir's mode alone: chmod too (an older install made them 0755).
  install -d -m 0700 "$LOG_DIR" "$DATA_DIR"
  chmod 0700 "$LOG_DIR" "$DATA_DIR"
  [ ! -e "$LOG_DIR/daemon.log" ] || chmod 0600 "$LOG_DIR/daemon.log"
  echo "daemon: starting (log: $LOG_DIR/daemon.log)"
  build_id >"$BUILD_FILE"
  (cd / && exec setsid -f nohup node "$OLDPWD/bin/berth.cjs" daemon >>"$LOG_DIR/daemon.log" 2>&1 < /dev/null)
  for _ in $(seq 1 100); do
    running && { echo "daemon: up; $($BERTH ping)"; return; }
    sleep 0.1
  done
  tail -20 "$LOG_DIR/daemon.log" >&2
  echo "daemon: did not answer within 10 s (log: $LOG_DIR/daemon.log)" >&2
  exit 1
}

stop() {
  if [ ! -f "$LOCK" ]; then echo "daemon: not running"; return; fi
  pid=$(cat "$LOCK")
  echo "daemon: stopping pid $pid (containers keep running)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do [ -f "$LOCK" ] || return 0; sleep 0.1; done
  echo "daemon: pid $pid did not stop within 10 s" >&2
  exit 1
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) if running; then $BERTH info; else echo "daemon: not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
