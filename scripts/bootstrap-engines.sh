#!/usr/bin/env bash
# Installs and starts Docker and Podman on a fresh Debian 12 machine, then builds
# the busybox fixture image on both. Idempotent: a second run only checks.
# Facts behind each step: ../shared/ENGINE.md (ulimits, sockets, no registry).
#
# Env: BERTH_LOG_DIR (default /var/log/berth), BERTH_PODMAN_SOCKET
# (default /run/podman/podman.sock), BERTH_ENGINES (default "docker podman").
set -euo pipefail

LOG_DIR=${BERTH_LOG_DIR:-/var/log/berth}
DOCKER_SOCKET=/var/run/docker.sock
PODMAN_SOCKET=${BERTH_PODMAN_SOCKET:-/run/podman/podman.sock}
ENGINES=${BERTH_ENGINES:-docker podman}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
FIXTURE_IMAGE=berth-fixture:busybox
CONTAINERS_CONF=/etc/containers/containers.conf

say() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and starts dockerd). Run: sudo $0"
command -v apt-get >/dev/null || die "apt-get not found: this script targets Debian 12. Install docker.io, podman, catatonit and busybox-static yourself, then re-run."

want_pkgs=()
need_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' || want_pkgs+=("$1"); }
# netavark + aardvark-dns: Podman's network backend with DNS on internal networks (issue 15 §8).
for p in docker.io podman catatonit busybox-static tini runsc netavark aardvark-dns; do need_pkg "$p"; done
if [ ${#want_pkgs[@]} -gt 0 ]; then
  say "installing ${want_pkgs[*]} (apt)"
  apt-get update -qq || die "apt-get update failed: check that Debian's package mirror is reachable"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want_pkgs[@]}" >"/tmp/berth-apt.log" 2>&1 \
    || { tail -20 /tmp/berth-apt.log >&2; die "apt-get install failed (full log: /tmp/berth-apt.log)"; }
else
  say "packages present: docker.io podman catatonit busybox-static tini runsc netavark aardvark-dns"
fi

ping_socket() { curl -sf --max-time 2 --unix-socket "$1" http://d/_ping 2>/dev/null | grep -q OK; }

mkdir -p "$LOG_DIR" /etc/containers "$(dirname "$PODMAN_SOCKET")"

# Sessions on an isolated (internal) network find each other by name only with netavark
# + aardvark-dns: on CNI, Podman disables DNS on internal networks. A fresh Podman (no
# container, no network of its own, not running) is set to netavark. A Podman already in
# use stays on its backend: its CNI networks and containers do not carry over, the switch
# needs `podman system reset` (which removes them all). BERTH_PODMAN_NETAVARK=force sets
# netavark anyway, for after such a reset; restart `podman system service` afterwards.
podman_fresh() {
  ! ping_socket "$PODMAN_SOCKET" && [ -z "$(podman ps -aq 2>/dev/null)" ] \
    && [ -z "$(podman network ls --format '{{.Name}}' 2>/dev/null | grep -vx podman)" ]
}
network_section=''
if grep -qs '^network_backend = "netavark"' "$CONTAINERS_CONF" || [ "${BERTH_PODMAN_NETAVARK:-}" = force ] || podman_fresh; then
  network_section='[network]
network_backend = "netavark"
'
else
  say "podman is in use on its $(podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null || echo current) network backend: left on it; session names resolve on isolated networks only with netavark (after podman system reset: BERTH_PODMAN_NETAVARK=force $0)"
fi

# Podman's default ulimits exceed this machine's hard limits; its default init path
# is not where Debian's catatonit lives.
conf_body="# written by berth scripts/bootstrap-engines.sh
[containers]
default_ulimits = [\"nofile=20000:20000\", \"nproc=20000:20000\"]
init_path = \"/usr/bin/catatonit\"
${network_section:+
$network_section}"

if [ ! -f "$CONTAINERS_CONF" ] || [ "$(cat "$CONTAINERS_CONF")" != "$(printf '%s' "$conf_body")" ]; then
  if [ -f "$CONTAINERS_CONF" ] && ! grep -q 'written by berth' "$CONTAINERS_CONF"; then
    cp "$CONTAINERS_CONF" "$CONTAINERS_CONF.before-berth"
    say "saved the existing $CONTAINERS_CONF to $CONTAINERS_CONF.before-berth"
  fi
  printf '%s' "$conf_body" > "$CONTAINERS_CONF"
  say "wrote $CONTAINERS_CONF (ulimits, init path${network_section:+, netavark})"
fi

# The strict profile gives each Podman container a user namespace of its own
# (userns=auto), which takes its ids from the "containers" ranges.
for f in /etc/subuid /etc/subgid; do
  if ! grep -q '^containers:' "$f" 2>/dev/null; then
    echo 'containers:1000000000:1000000000' >> "$f"
    say "added a containers range to $f (userns=auto for strict sessions on Podman)"
  fi
done

wait_for() { # socket seconds name log
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    ping_socket "$1" && return 0
    sleep 0.1
  done
  tail -20 "$4" >&2 || true
  die "$3 did not answer on $1 within $2 s (log: $4)"
}

# gVisor as an optional runtime for Docker (`spec.runtime: "runsc"`). It must not set up
# networking in the root network namespace here, hence --network=none.
DOCKER_CONF=/etc/docker/daemon.json
docker_conf_body='{
  "runtimes": { "runsc": { "path": "/usr/bin/runsc", "runtimeArgs": ["--network=none"] } }
}
'
docker_conf_changed=no
register_runsc() {
  mkdir -p "$(dirname "$DOCKER_CONF")"
  if [ ! -f "$DOCKER_CONF" ]; then
    printf '%s' "$docker_conf_body" > "$DOCKER_CONF"
    docker_conf_changed=yes
    say "wrote $DOCKER_CONF (runsc runtime)"
  elif ! grep -q '"runsc"' "$DOCKER_CONF"; then
    say "$DOCKER_CONF exists without runsc: left alone (runsc not registered with docker)"
  fi
}

start_docker() {
  register_runsc
  if ping_socket "$DOCKER_SOCKET"; then
    say "docker answers on $DOCKER_SOCKET"
    # dockerd reloads its runtimes on SIGHUP, without touching running containers.
    if [ "$docker_conf_changed" = yes ] && pid=$(pidof dockerd); then kill -HUP $pid; say "dockerd reloaded $DOCKER_CONF"; fi
    return
  fi
  say "starting dockerd (log: $LOG_DIR/dockerd.log)"
  # From / (a service keeps its working directory, and conmon fails once that is deleted),
  # in its own session, holding none of our file descriptors (a caller's pipe must close).
  (cd / && exec setsid -f nohup dockerd >"$LOG_DIR/dockerd.log" 2>&1 < /dev/null)
  wait_for "$DOCKER_SOCKET" 60 dockerd "$LOG_DIR/dockerd.log"
  say "docker is up"
}

# dockerd sets the FORWARD policy to DROP, and with br_netfilter bridged frames pass it:
# netavark adds no rule for its internal networks, so containers on one isolated network
# could resolve each other (aardvark-dns) but not connect. Frames bridged within one
# netavark bridge (podmanN) are accepted; routing between bridges stays dropped.
allow_netavark_bridged() {
  command -v iptables >/dev/null && iptables -S DOCKER-USER >/dev/null 2>&1 || return 0
  local rule=(-i 'podman+' -m physdev --physdev-is-bridged -m comment --comment "berth: same-bridge traffic on netavark networks" -j ACCEPT)
  iptables -C DOCKER-USER "${rule[@]}" 2>/dev/null && return 0
  iptables -I DOCKER-USER "${rule[@]}" && say "iptables: accepted same-bridge traffic on podman's netavark bridges (DOCKER-USER)"
}

start_podman() {
  if [ -n "$network_section" ]; then
    allow_netavark_bridged
    # A bridge left by CNI holds the same subnet as netavark's podman0 and takes its return traffic.
    if ip link show cni-podman0 >/dev/null 2>&1; then ip link del cni-podman0 && say "removed the stale CNI bridge cni-podman0 (podman now uses netavark)"; fi
  fi
  if ping_socket "$PODMAN_SOCKET"; then say "podman answers on $PODMAN_SOCKET"; return; fi
  rm -f "$PODMAN_SOCKET"
  say "starting podman system service (log: $LOG_DIR/podman.log)"
  (cd / && exec setsid -f nohup podman system service --time=0 "unix://$PODMAN_SOCKET" >"$LOG_DIR/podman.log" 2>&1 < /dev/null)
  wait_for "$PODMAN_SOCKET" 60 "podman system service" "$LOG_DIR/podman.log"
  say "podman is up"
}

# The fixture: busybox on scratch, ~1 MB, with /tmp and /workspace.
build_fixture() { # cli
  local cli=$1 ctx hash have
  hash=$( (cat "$ROOT/test/fixtures/busybox/Dockerfile"; sha256sum /bin/busybox) | sha256sum | cut -c1-16)
  have=$($cli image inspect --format '{{ index .Config.Labels "berth.fixture.hash" }}' "$FIXTURE_IMAGE" 2>/dev/null || true)
  if [ "$have" = "$hash" ]; then say "$cli: $FIXTURE_IMAGE is current"; return; fi
  ctx=$(mktemp -d)
  cp "$ROOT/test/fixtures/busybox/Dockerfile" "$ctx/Dockerfile"
  cp /bin/busybox "$ctx/busybox"
  say "$cli: building $FIXTURE_IMAGE"
  $cli build -q --label "berth.fixture.hash=$hash" -t "$FIXTURE_IMAGE" "$ctx" >"$LOG_DIR/fixture-$cli.log" 2>&1 \
    || { rm -rf "$ctx"; tail -20 "$LOG_DIR/fixture-$cli.log" >&2; die "$cli build of the fixture failed"; }
  rm -rf "$ctx"
}

for e in $ENGINES; do
  case $e in
    docker) start_docker; DOCKER_HOST="unix://$DOCKER_SOCKET" build_fixture docker ;;
    podman) start_podman; build_fixture podman ;;
    *) die "unknown engine '$e' in BERTH_ENGINES (use docker, podman)" ;;
  esac
done
# A local Debian base for building container/Dockerfile without a registry (skipped when present).
BERTH_ENGINES="$ENGINES" bash "$HERE/debian-base.sh"
say "engines ready: $ENGINES"
