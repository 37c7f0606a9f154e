"""PyTorch eager side of bench/ort-vs-torch.bench.ts and bench/gpu: rebuilds the model behind an
ONNX export (same constructor, same seed, or the saved state dict), then answers one JSON command
per stdin line so the Node side can alternate rounds with it (a busy machine then slows both).

  {"cmd": "check"}              -> {"sum": ..., "head": [...]}   output on the shared input
  {"cmd": "time", "n": N}       -> {"ms": [...]}                  N timed forward passes
  {"cmd": "time_post", "n": N, "frame": [H, W], "stride": S[, "half": true]}
                                -> {"ms": [...]}                  N passes doing what the app's
      GPU graph does, from the input in CPU memory as the app gets it: copied to the device,
      logits resized to the frame, argmax as uint8, max softmax and entropy every S pixels, all
      three copied to the CPU; with "half", the model and its input in float16 (the maps in float32)

Usage: python3 bench/torch_eager.py ARCH THREADS HEIGHT WIDTH [cuda] [STATE_DICT.pt]"""
import copy
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent


def shared_input(h, w):
    # The Node side builds the same numbers: 2 * sin(i / 1000), i over the flat NCHW index.
    i = torch.arange(3 * h * w, dtype=torch.float64)
    return (2 * torch.sin(i / 1000)).float().reshape(1, 3, h, w)


def build(arch, state):
    if state:  # the GPU machine has torch but no torchvision: only our own SegNet, from saved weights
        sys.path.insert(0, str(HERE.parent / "native-models"))
        from s2r.model import SegNet
        m = SegNet()
        m.load_state_dict(torch.load(state, map_location="cpu"))
        return m.eval()
    sys.path.insert(0, str(HERE.parent / "tests" / "fixtures" / "models"))
    from make_models import torch_model
    return torch_model(arch)


def with_post(model, x, frame, stride, device, half=False):
    x = x.to(device)
    z = model(x.half() if half else x).float()
    labels = F.interpolate(z, size=tuple(frame), mode="bilinear", align_corners=False).argmax(1).to(torch.uint8)
    zs = z[:, :, ::stride, ::stride]
    d = zs - zs.amax(1, keepdim=True)
    e = d.exp()
    s = e.sum(1, keepdim=True)
    confidence = 1 / s
    entropy = s.log() - (e * d).sum(1, keepdim=True) / s
    return labels.cpu(), confidence.cpu(), entropy.cpu()


def main():
    arch, threads, h, w = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    device = "cuda" if len(sys.argv) > 5 and sys.argv[5] == "cuda" else "cpu"
    state = sys.argv[6] if len(sys.argv) > 6 else None
    torch.set_num_threads(threads)
    model = build(arch, state).to(device)
    x_host = shared_input(h, w)
    x = x_host.to(device)
    half_model = None
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    # cuDNN may run float32 convolutions as TF32 (10-bit mantissa, like float16's) on Ampere and
    # later: reported so a float16 comparison can say what it was against.
    tf32 = bool(torch.backends.cudnn.allow_tf32) if device == "cuda" else False
    print(json.dumps({"ready": True, "torch": torch.__version__, "device": device, "cudnn_tf32": tf32}), flush=True)
    with torch.inference_mode():
        for line in sys.stdin:
            cmd = json.loads(line)
            if cmd["cmd"] == "check":
                y = model(x).float().cpu().flatten()
                out = {"sum": float(y.double().sum()), "head": y[:256].tolist()}
            elif cmd["cmd"] == "time":
                ms = []
                for _ in range(cmd["n"]):
                    sync()
                    t0 = time.perf_counter()
                    model(x)
                    sync()
                    ms.append((time.perf_counter() - t0) * 1000)
                out = {"ms": ms}
            elif cmd["cmd"] == "time_post":
                half = bool(cmd.get("half")) and device == "cuda"
                if half and half_model is None:
                    half_model = copy.deepcopy(model).half()
                m = half_model if half else model
                ms = []
                for _ in range(cmd["n"]):
                    sync()
                    t0 = time.perf_counter()
                    with_post(m, x_host, cmd["frame"], cmd["stride"], device, half)  # .cpu() waits for the GPU
                    ms.append((time.perf_counter() - t0) * 1000)
                out = {"ms": ms}
            else:
                out = {"error": f"unknown command {cmd}"}
            print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
