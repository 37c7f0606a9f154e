#!/usr/bin/env bash
# Opt-in, for tests: a software Vulkan driver (Mesa's lavapipe) unpacked into .cache/lavapipe, so
# onnxruntime-node's WebGPU execution provider (Dawn on Vulkan) runs on a machine without a GPU.
# Nothing is installed system-wide: the app and every other test still see no Vulkan here (the
# provider fallback tests rely on that); tests/unit/inference/webgpu.test.ts hands this driver to
# a child process only. Debian bookworm's own lavapipe (Mesa 22) lacks a feature Dawn requires,
# so Mesa comes from bookworm-backports. Needs Debian's apt (no other network access).
set -euo pipefail
cd "$(dirname "$0")/.."
dest="$PWD/.cache/lavapipe"
if [ -f "$dest/icd.json" ]; then echo "lavapipe: already in $dest"; exit 0; fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/debs"
echo "deb http://deb.debian.org/debian bookworm main" > "$work/sources.list"
echo "deb http://deb.debian.org/debian bookworm-backports main" >> "$work/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$work/lists"
  -o APT::Sandbox::User=root -o Debug::NoLocking=1)
apt-get "${apt_opts[@]}" update -qq
(cd "$work/debs" && apt-get "${apt_opts[@]}" download -qq libvulkan1 'mesa-vulkan-drivers/bookworm-backports' libllvm15 libz3-4)
rm -rf "$dest.tmp" && mkdir -p "$dest.tmp/root"
for f in "$work"/debs/*.deb; do dpkg -x "$f" "$dest.tmp/root"; done
lib="$dest.tmp/root/usr/lib/x86_64-linux-gnu"
missing="$(LD_LIBRARY_PATH="$lib" ldd "$lib/libvulkan_lvp.so" | grep 'not found' || true)"
if [ -n "$missing" ]; then echo "lavapipe: libraries missing: $missing" >&2; exit 1; fi
# The driver is named by absolute path (the package's manifest names a bare file for the system's linker).
cat > "$dest.tmp/icd.json" <<EOF
{ "file_format_version": "1.0.0", "ICD": { "api_version": "1.3.0", "library_path": "$dest/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so" } }
EOF
rm -rf "$dest" && mv "$dest.tmp" "$dest"
echo "lavapipe: unpacked into $dest"
