#!/usr/bin/env bash
# Builds the local base image `realtime-base:local` for machines with no image registry:
# a minimal Debian root filesystem (debootstrap --variant=minbase bookworm) + ca-certificates +
# the bun binary of the npm package @oven/bun-linux-x64 (the package `npm install -g bun` picks
# on x86-64 Linux), imported with `docker import`. No node/npm goes into the image.
#
# Cached: the image carries the hash of its inputs (this script, the bun version, the suite) as the
# label realtime.base.inputs; when an image with the same hash exists nothing is rebuilt.
#   usage: deploy/base-image.sh [TAG]     env: BUN_VERSION (default: the host's bun), DEBIAN_MIRROR
set -euo pipefail
cd "$(dirname "$0")/.."

TAG="${1:-realtime-base:local}"
SUITE=bookworm
BUN_VERSION="${BUN_VERSION:-$(bun --version)}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
HASH=$( { cat "$0"; echo "$SUITE $BUN_VERSION $(uname -m)"; } | sha256sum | cut -c1-16)

have=$(docker image inspect --format '{{ index .Config.Labels "realtime.base.inputs" }}' "$TAG" 2>/dev/null || true)
if [ "$have" = "$HASH" ]; then
  echo "base-image: $TAG is current (inputs $HASH, bun $BUN_VERSION), not rebuilt"
  exit 0
fi

case "$(uname -m)" in
  x86_64) BUN_PKG=@oven/bun-linux-x64 ;;
  aarch64) BUN_PKG=@oven/bun-linux-aarch64 ;;
  *) echo "base-image: no bun package for $(uname -m)" >&2; exit 1 ;;
esac

work=$(mktemp -d /var/tmp/realtime-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
start=$(date +%s)

echo "base-image: debootstrap --variant=minbase $SUITE (+ca-certificates)"
debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

echo "base-image: bun $BUN_VERSION from npm $BUN_PKG"
(cd "$work" && npm pack --silent "$BUN_PKG@$BUN_VERSION" >/dev/null)
tar -xzf "$work"/oven-bun-linux-*.tgz -C "$work" package/bin/bun
install -m 0755 "$work/package/bin/bun" "$root/usr/local/bin/bun"
ln -s bun "$root/usr/local/bin/bunx"
chroot "$root" /usr/local/bin/bun --version >/dev/null

# What a container never uses: docs, man pages, locales, glibc's iconv modules, apt's caches and
# lists, logs.
rm -rf "$root"/usr/lib/*-linux-gnu/gconv \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
  "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old "$root"/var/log/* "$root"/tmp/*

tar --numeric-owner -C "$root" -c . | docker import \
  --change "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "LABEL realtime.base.inputs=$HASH realtime.base.bun=$BUN_VERSION realtime.base.debian=$SUITE" \
  --change 'CMD ["bash"]' - "$TAG" >/dev/null
size=$(docker image inspect --format '{{.Size}}' "$TAG")
echo "base-image: built $TAG in $(( $(date +%s) - start )) s, $((size / 1000000)) MB (inputs $HASH)"
