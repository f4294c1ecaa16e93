#!/usr/bin/env bash
# Builds Sluice's container image from Debian packages, without a container registry:
#   1. a Debian base (trixie: its nodejs is 20.19, Sluice needs ≥ 20.19) made by debootstrap from a Debian mirror,
#      trimmed and imported as localhost/sluice-base:<suite> (the root filesystem is cached as a tarball);
#   2. the npm package installed into a build context (npm install of the tarball, production dependencies);
#   3. podman build (buildah) of deploy/container/Containerfile on that base.
# Usage: deploy/container/build.sh <sluice-x.y.z.tgz> [image name, default localhost/sluice:<version>]
# Needs root (debootstrap, rootful podman), podman, debootstrap, npm. Environment: DEBIAN_SUITE (trixie),
# DEBIAN_MIRROR (http://deb.debian.org/debian), SLUICE_CACHE_DIR (~/.cache/sluice), PODMAN_BUILD_OPTS (more options for
# `podman build`, e.g. `--runtime runc --ulimit nofile=20000:20000 --ulimit nproc=4096:4096` on a host whose cgroups
# crun refuses or where podman may not raise the default limits).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 <sluice-x.y.z.tgz> [image]" >&2; exit 2; }
tgz=$(realpath "$1")
[ -f "$tgz" ] || { echo "build.sh: $tgz is not a file (make it with npm pack)" >&2; exit 2; }
for tool in podman debootstrap npm tar; do
  command -v "$tool" >/dev/null 2>&1 || { echo "build.sh: $tool is required (apt-get install podman debootstrap)" >&2; exit 1; }
done
version=$(tar -xOzf "$tgz" package/package.json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).version))')
image=${2:-localhost/sluice:$version}
suite=${DEBIAN_SUITE:-trixie}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}
base=localhost/sluice-base:$suite
mkdir -p "$cache"

if ! podman image exists "$base"; then
  rootfs_tar=$cache/rootfs-$suite.tar
  if [ ! -f "$rootfs_tar" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    echo "build.sh: debootstrap $suite (minbase + nodejs) from $mirror" >&2
    debootstrap --variant=minbase --include=nodejs,ca-certificates "$suite" "$work/rootfs" "$mirror" >&2
    rm -rf "$work"/rootfs/var/lib/apt/lists/* "$work"/rootfs/var/cache/apt/*.bin "$work"/rootfs/var/cache/apt/archives/*.deb \
      "$work"/rootfs/usr/share/doc/* "$work"/rootfs/usr/share/man/* "$work"/rootfs/usr/share/info/*
    tar -C "$work/rootfs" --numeric-owner -cf "$rootfs_tar.part" .
    mv "$rootfs_tar.part" "$rootfs_tar"
    rm -rf "$work"
    trap - EXIT
  fi
  podman import --change 'CMD ["/bin/bash"]' "$rootfs_tar" "$base" >&2
fi

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir "$ctx/app" "$ctx/data"
chmod 0700 "$ctx/data"
echo '{"name": "sluice-image", "private": true}' > "$ctx/app/package.json"
(cd "$ctx/app" && npm install --omit=dev --no-audit --no-fund --prefer-offline "$tgz" >&2)
rm -f "$ctx/app/package-lock.json"
cp "$here/Containerfile" "$ctx/Containerfile"
# shellcheck disable=SC2086 # PODMAN_BUILD_OPTS is a list of options
podman build ${PODMAN_BUILD_OPTS:-} --format docker --build-arg "BASE=$base" -t "$image" -f "$ctx/Containerfile" "$ctx" >&2
echo "$image"
