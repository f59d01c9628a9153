#!/usr/bin/env bash
# Makes a local Debian 12 base image on each engine, for building berth's Ubuntu
# Dockerfile without a registry (container/Dockerfile's apt steps are valid on Debian):
# debootstrap --variant=minbase bookworm, once, kept as a tarball in the cache dir, then
# `docker import` / `podman import` as berth-base:debian-bookworm with berth's labels.
# Idempotent: an engine that already has the image is skipped; the tarball is reused.
# Facts: ../shared/ENGINE.md ("Images without a registry").
#
# Env: BERTH_ENGINES (default "docker podman"), BERTH_CACHE_DIR (default /var/cache/berth),
# BERTH_DEBIAN_MIRROR (default http://deb.debian.org/debian), BERTH_LOG_DIR (default /var/log/berth).
set -euo pipefail

ENGINES=${BERTH_ENGINES:-docker podman}
CACHE_DIR=${BERTH_CACHE_DIR:-/var/cache/berth}
MIRROR=${BERTH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
LOG_DIR=${BERTH_LOG_DIR:-/var/log/berth}
IMAGE=berth-base:debian-bookworm
TARBALL=$CACHE_DIR/debian-bookworm-minbase.tar
DOCKER_SOCKET=/var/run/docker.sock

say() { printf 'debian-base: %s\n' "$*"; }
die() { printf 'debian-base: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap needs it). Run: sudo $0"

has_image() { # cli: the image is there with its label
  local label
  case $1 in
    docker) label=$(DOCKER_HOST="unix://$DOCKER_SOCKET" docker image inspect --format '{{ index .Config.Labels "berth.base" }}' "$IMAGE" 2>/dev/null || true) ;;
    podman) label=$(podman image inspect --format '{{ index .Config.Labels "berth.base" }}' "$IMAGE" 2>/dev/null || true) ;;
  esac
  [ "$label" = debian-bookworm ]
}

missing=()
for e in $ENGINES; do has_image "$e" || missing+=("$e"); done
if [ ${#missing[@]} -eq 0 ]; then say "$IMAGE present on: $ENGINES"; exit 0; fi

mkdir -p "$CACHE_DIR" "$LOG_DIR"
if [ ! -s "$TARBALL" ]; then
  if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap (apt)"
    apt-get update -qq || die "apt-get update failed: check that Debian's package mirror is reachable"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >"$LOG_DIR/debootstrap-apt.log" 2>&1 \
      || { tail -20 "$LOG_DIR/debootstrap-apt.log" >&2; die "apt-get install debootstrap failed"; }
  fi
  root=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
  trap 'rm -rf "$root" "$TARBALL.partial"' EXIT
  say "debootstrap --variant=minbase bookworm (about 2 min; log: $LOG_DIR/debootstrap.log)"
  debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$LOG_DIR/debootstrap.log" 2>&1 \
    || { tail -20 "$LOG_DIR/debootstrap.log" >&2; die "debootstrap failed (full log: $LOG_DIR/debootstrap.log)"; }
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
  tar --numeric-owner -C "$root" -cf "$TARBALL.partial" .
  mv "$TARBALL.partial" "$TARBALL"
  rm -rf "$root"
  trap - EXIT
fi

# One LABEL per change: podman import misreads several pairs in one.
changes=(-c 'LABEL berth.managed=true' -c 'LABEL berth.base=debian-bookworm' -c 'CMD ["/bin/bash"]')
for e in "${missing[@]}"; do
  say "$e: importing $IMAGE"
  case $e in
    docker) DOCKER_HOST="unix://$DOCKER_SOCKET" docker import "${changes[@]}" "$TARBALL" "$IMAGE" >/dev/null ;;
    podman) podman import -q "${changes[@]}" "$TARBALL" "$IMAGE" >/dev/null ;;
    *) die "unknown engine '$e' in BERTH_ENGINES (use docker, podman)" ;;
  esac
done
say "$IMAGE ready on: $ENGINES"
