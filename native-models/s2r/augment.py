"""Batch-level augmentations for the mixing self-training method (DACS, Tranheden et al. 2021):
ClassMix masks and the strong photometric augmentation applied to mixed images. They work on the
normalised NCHW batches the loaders yield, with torch's RNG (saved in every checkpoint, so a
resumed run replays them). Nothing here touches the data on disk or the dashcam domain itself:
the student only sees harder versions of the frames it already has."""
import math

import torch
import torch.nn.functional as F

from .classes import IGNORE


def class_mix_masks(labels: torch.Tensor) -> torch.Tensor:
    """Per image, a random half of the classes present in its source labels (ClassMix): returns a
    float mask (N,1,H,W), 1 where the source pixel is pasted over the target frame."""
    masks = []
    for lbl in labels:
        classes = lbl.unique()
        classes = classes[classes != IGNORE]
        n = classes.numel()
        if n == 0:
            masks.append(torch.zeros_like(lbl, dtype=torch.float32))
            continue
        chosen = classes[torch.randperm(n)[: (n + 1) // 2]]
        masks.append((lbl[..., None] == chosen).any(-1).float())
    return torch.stack(masks)[:, None]


def _gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(1, int(math.ceil(2 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype)
    k = torch.exp(-(t ** 2) / (2 * sigma ** 2))
    k = (k / k.sum()).to(x.device)
    c = x.shape[1]
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="reflect"), k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(F.pad(x, (0, 0, radius, radius), mode="reflect"), k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def _rotate_hue(rgb: torch.Tensor, angle: float) -> torch.Tensor:
    """Hue rotation about the grey axis (YIQ chroma plane), exact enough for augmentation."""
    cos, sin = math.cos(angle), math.sin(angle)
    to_yiq = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
    rot = torch.tensor([[1.0, 0.0, 0.0], [0.0, cos, -sin], [0.0, sin, cos]])
    m = (torch.linalg.inv(to_yiq) @ rot @ to_yiq).to(rgb)
    return torch.einsum("ij,jhw->ihw", m, rgb)


def strong_photometric(x: torch.Tensor, mean, std, strength: float = 0.2, grey_p: float = 0.0) -> torch.Tensor:
    """DACS's colour jitter (brightness, contrast, saturation, hue of +-strength, p = 0.8) and
    Gaussian blur (sigma 0.15-1.15, p = 0.5), per image, on a normalised batch; with probability
    grey_p the frame also loses its colour (a cue the simulator's saturated palette makes too easy)."""
    m = torch.tensor(mean, dtype=x.dtype, device=x.device).view(3, 1, 1)
    s = torch.tensor(std, dtype=x.dtype, device=x.device).view(3, 1, 1)
    out = []
    for img in x:
        rgb = img * s + m
        if torch.rand(()) < 0.8:
            for op in torch.randperm(4).tolist():
                f = 1 + (torch.rand(()).item() * 2 - 1) * strength
                if op == 0:
                    rgb = rgb * f
                elif op == 1:
                    grey = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]).mean()
                    rgb = (rgb - grey) * f + grey
                elif op == 2:
                    grey = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
                    rgb = (rgb - grey) * f + grey
                else:
                    rgb = _rotate_hue(rgb, (f - 1) * math.pi)
                rgb = rgb.clamp(0, 1)
        if grey_p > 0 and torch.rand(()) < grey_p:
            rgb = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]).expand(3, -1, -1)
        if torch.rand(()) < 0.5:
            rgb = _gaussian_blur(rgb[None], 0.15 + torch.rand(()).item())[0]
        out.append((rgb - m) / s)
    return torch.stack(out)


def fda_to_target(xs: torch.Tensor, xt: torch.Tensor, beta: float, mean, std) -> torch.Tensor:
    """FDA (Yang & Soatto 2020): each source frame takes the low-frequency amplitude spectrum of a
    target frame (a square of half-size beta * min(H, W) around zero frequency) and keeps its own
    phase, so it gets the target's colour cast, exposure, haze and vignetting while its edges, and
    hence its labels, stay where they were. Source frame i takes target frame i of the batch."""
    m = torch.tensor(mean, dtype=xs.dtype, device=xs.device).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=xs.dtype, device=xs.device).view(1, 3, 1, 1)
    fs = torch.fft.fft2(xs * s + m)
    amp_t = torch.fft.fft2(xt * s + m).abs()
    amp = fs.abs().clone()
    h, w = xs.shape[-2:]
    b = max(1, int(min(h, w) * beta))
    # Unshifted spectrum: the low frequencies sit in the four corners.
    for rows in (slice(0, b), slice(h - b, h)):
        for cols in (slice(0, b), slice(w - b, w)):
            amp[..., rows, cols] = amp_t[..., rows, cols]
    rgb = torch.fft.ifft2(torch.polar(amp, fs.angle())).real.clamp(0, 1)
    return (rgb - m) / s
