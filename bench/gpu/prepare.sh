#!/bin/sh
# Run here, once, before bench/gpu/device.sh: the GPU machine has no Node and no internet, so this
# packs what it needs into .gpu/ and .gl/ (both git-ignored; carry them with the device tool).
#   .gpu/node.xz        this machine's node binary
#   .gpu/ort.tar.xz     node_modules/onnxruntime-{node,common}, Linux x64 binaries only
#   .gpu/bench.mjs      bench/gpu/webgpu-vs-cuda.ts and the inference service, bundled (esbuild)
#   .gpu/segnet.onnx/.pt  the benchmark model and the weights torch rebuilds it from
#   .gl/*.deb           the Vulkan loader (the device tool's README)
set -e
cd "$(dirname "$0")/../.."
mkdir -p .gpu .gl
[ -f .gpu/node.xz ] || xz -T2 -c "$(command -v node)" > .gpu/node.xz
tar -cJf .gpu/ort.tar.xz --exclude='*/darwin*' --exclude='*/win32*' --exclude='*/arm64*' \
  node_modules/onnxruntime-node node_modules/onnxruntime-common
npx esbuild bench/gpu/webgpu-vs-cuda.ts --bundle --platform=node --format=esm --target=node20 \
  --external:onnxruntime-node --outfile=.gpu/bench.mjs --log-level=warning
[ -f .gpu/segnet.onnx ] || /usr/bin/python3 tests/fixtures/models/make_models.py torchvision segnet .gpu/segnet.onnx 2>/dev/null
if ! ls .gl/*.deb >/dev/null 2>&1; then
  mkdir -p /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update >/dev/null
  (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
fi
du -ch .gpu .gl | tail -1
