#!/bin/sh
# Runs on the device tool's GPU machine, from the repo root, with .gpu and .gl carried
# (made by bench/gpu/prepare.sh). Results: stdout and $OUT/webgpu-vs-cuda.json.
#   device run: command "sh bench/gpu/device.sh", carry [".gpu", ".gl"], timeout_s 400
set -e
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
export XDG_RUNTIME_DIR=/tmp S2R_REPO="$PWD"
mkdir -p /tmp/gpu
xz -dc .gpu/node.xz > /tmp/node && chmod +x /tmp/node
tar -xJf .gpu/ort.tar.xz -C /tmp/gpu
cp .gpu/bench.mjs /tmp/gpu/
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
/tmp/node /tmp/gpu/bench.mjs --model .gpu/segnet.onnx --state .gpu/segnet.pt --python python3 \
  --torch-device cuda --out "${OUT:-/tmp/out}" 2>&1 | tee "${OUT:-/tmp}/log.txt"
