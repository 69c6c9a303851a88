#!/usr/bin/env bash
# Builds and runs the image of deploy/Dockerfile with buildah (vfs storage,
# chroot isolation; rootless or as root) on a machine that reaches Debian's
# package mirror but no container registry. See README "The image".
#
#   deploy/build-image-offline.sh            # as root, or as a user with /etc/subuid ranges
#
# What differs from `docker build -f deploy/Dockerfile .`, and why:
# * `debian:bookworm-slim` is not pulled: a minimal Debian bookworm made from
#   Debian's packages (debootstrap --variant=minbase, which needs root; set
#   ROOTFS_TAR to a tarball of one made elsewhere) is imported as
#   localhost/debian:bookworm-slim.
# * The build stage (`rust:1-bookworm`) is replaced by the binary built on this
#   machine with the same command (`cargo build --release --locked --bin
#   sqlsynth`; set SQLSYNTH_BINARY to use another build): no registry serves
#   the Rust image here, and Debian's rustc (1.63 in bookworm, 1.85 in
#   trixie) is older than the 1.88 the dependencies need.
# * The runtime stage is deploy/Dockerfile's own text, unchanged.
# Then the image runs its default command (the example job) as uid 10001
# and must exit 0 with every answer, the report and the manifest written.
set -euo pipefail
cd "$(dirname "$0")/.."
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot

work=$(mktemp -d "${TMPDIR:-/tmp}/sqlsynth-image.XXXXXX")
trap 'rm -rf "$work"' EXIT

# 1. The base image from Debian's packages.
if ! buildah images --quiet localhost/debian:bookworm-slim >/dev/null 2>&1; then
  tarball="${ROOTFS_TAR:-}"
  if [ -z "$tarball" ]; then
    debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log"
    tarball="$work/rootfs.tar"
    tar -C "$work/rootfs" -cf "$tarball" .
  fi
  base=$(buildah from scratch)
  buildah add "$base" "$tarball" / >/dev/null
  buildah commit --quiet "$base" localhost/debian:bookworm-slim >/dev/null
  buildah rm "$base" >/dev/null
fi

# 2. The binary the build stage would make.
binary="${SQLSYNTH_BINARY:-}"
if [ -z "$binary" ]; then
  cargo build --release --locked --bin sqlsynth
  binary="${CARGO_TARGET_DIR:-target}/release/sqlsynth"
fi

# 3. The Dockerfile with its build stage replaced; the runtime stage verbatim.
mkdir -p "$work/context"
cp "$binary" "$work/context/sqlsynth"
cp -r sqlsynth.toml jobs "$work/context/"
{
  echo "FROM localhost/debian:bookworm-slim AS build"
  echo "COPY sqlsynth /src/target/release/sqlsynth"
  sed -n '/^FROM debian:bookworm-slim AS runtime$/,$p' deploy/Dockerfile \
    | sed 's|^FROM debian:bookworm-slim AS runtime$|FROM localhost/debian:bookworm-slim AS runtime|'
} >"$work/context/Dockerfile"
grep -q '^USER 10001:10001$' "$work/context/Dockerfile" # the runtime stage was found
buildah bud --pull=never --tag localhost/sqlsynth:latest -f "$work/context/Dockerfile" "$work/context"

# 4. Run the image's default command, as the image's user.
container=$(buildah from --pull=never localhost/sqlsynth:latest)
trap 'buildah rm "$container" >/dev/null; rm -rf "$work"' EXIT
buildah run "$container" -- sh -c '
  set -e
  test "$(id -u)" = 10001
  cd /app && sqlsynth run jobs/example.json
  test -s out/example/manifest.json && test -s out/example/report.html
'
echo "built localhost/sqlsynth:latest; it ran the example job as uid 10001"
