#!/usr/bin/env bash
# The image test's stand-in for python:3.12-slim, which is on Docker Hub, out of reach here:
# a Debian root made by mmdebstrap, laid out like the official image (python and pip in
# /usr/local/bin, from a venv at /usr/local), as a tarball for `podman import`. Tests only:
# users pull the official base. Cached as .cache/standin/standin-<key>.tar, the key a hash of
# what builds it (this script, the mirror, mmdebstrap's version); prints the tarball's path.
# About 30 s uncached.
set -euo pipefail
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$script")/.."
# A Debian host's own sources (its mirror, or a snapshot); elsewhere (Ubuntu) Debian's mirror.
mirror=/etc/apt/sources.list.d/debian.sources
[ -f "$mirror" ] || mirror=http://deb.debian.org/debian
key=$({ cat "$script"; cat "$mirror" 2>/dev/null || echo "$mirror"; mmdebstrap --version; } |
  sha256sum | cut -c1-16)
dir=.cache/standin
tarball="$dir/standin-$key.tar"
mkdir -p "$dir"
# One build at a time: scripts/test starts one in the background, and the test may ask meanwhile.
exec 9>"$dir/lock"
flock 9
if [ ! -f "$tarball" ]; then
  rm -f "$dir"/standin-*.tar "$dir"/*.partial # other keys: what built them has changed
  # Small as the official image is, which matters here: the vfs driver copies the root whole
  # for every image and container. So no docs, man pages or translations (as Debian's slim
  # images), /usr merged by the hook instead of the usrmerge package (which pulls in perl),
  # and no setuptools in the venv (python:3.12 images have none).
  mmdebstrap --quiet --variant=minbase --format=tar \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --include=python3,python3-venv,ca-certificates,netbase,tzdata \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='chroot "$1" python3 -m venv /usr/local' \
    --customize-hook='chroot "$1" /usr/local/bin/pip uninstall --quiet --yes setuptools' \
    bookworm "$tarball.partial" "$mirror"
  mv "$tarball.partial" "$tarball"
fi
echo "$PWD/$tarball"
