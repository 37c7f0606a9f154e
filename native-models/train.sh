#!/bin/sh
# Runs the training pipeline with the CPU fixes measured in shared/reference/training-cpu.md:
#  - glibc malloc tunables: stop returning big buffers to the kernel every step (2x at batch 8);
#  - OpenBLAS instead of the reference BLAS for matmuls (Debian: libopenblas0-pthread); our nets
#    avoid ConvTranspose2d, which would otherwise go through that slow BLAS;
#  - threads: torch.set_num_threads comes from the config (--threads, default all cores).
# Usage: native-models/train.sh train --method source_only [--key value ...]
#        native-models/train.sh evaluate|export|report|config ...
# If the first argument is an option rather than a command, `train` is assumed, so
# `npm run train -- --method adaptsegnet --init ...` works.
set -e
DIR=$(cd "$(dirname "$0")" && pwd)
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=17179869184}"
export PYTHONPATH="$DIR${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
PY="${S2R_PYTHON:-/usr/bin/python3}"
if ! "$PY" -c "import torch" 2>/dev/null; then
  echo "train.sh: $PY cannot import torch. Install Debian's packages:" >&2
  echo "  apt-get install -y python3-torch python3-torchvision python3-onnx python3-numpy python3-pil libopenblas0-pthread" >&2
  exit 1
fi
# A first argument that is an option means `train` (`npm run train -- --method ...`); commands are s2r's own list.
case "$1" in
  -*|"") set -- train "$@" ;;
esac
exec "$PY" -W ignore::UserWarning -m s2r "$@"
