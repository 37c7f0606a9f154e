"""Compact real-time segmentation net: MobileNetV2-style inverted residual encoder (output stride
16, last stage dilated) and an LR-ASPP head (MobileNetV3 paper), ~1M parameters.

Upsampling is bilinear everywhere, never ConvTranspose2d: Debian's torch runs transposed convs
through the reference BLAS (measured 2x slower a step) and bilinear exports to one ONNX Resize."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .classes import NUM_CLASSES


def conv_bn(cin, cout, k=1, stride=1, groups=1, dilation=1, act=True):
    layers = [nn.Conv2d(cin, cout, k, stride, padding=dilation * (k - 1) // 2, dilation=dilation,
                        groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand, dilation=1):
        super().__init__()
        hidden = cin * expand
        layers = [conv_bn(cin, hidden)] if expand != 1 else []
        layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden, dilation=dilation),
                   conv_bn(hidden, cout, act=False)]  # linear bottleneck
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.block(x) if self.residual else self.block(x)


def _c(ch, mult):  # channel counts stay multiples of 8 (vectorised kernels like that)
    return max(8, int(ch * mult + 4) // 8 * 8)


# (expand t, channels c, repeats n, stride s, dilation d), MobileNetV2 table without its 320/1280
# tail, which would double the parameters for little gain at 128x256.
STAGES = [(1, 16, 1, 1, 1), (6, 24, 2, 2, 1), (6, 32, 3, 2, 1), (6, 64, 3, 2, 1),
          (6, 96, 2, 1, 1), (6, 160, 2, 1, 2)]
LOW_STAGE, AUX_STAGE = 2, 4  # 1/8 features feed the head's detail branch; 1/16 ones the aux head


class SegNet(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES, width_mult=1.0, head_channels=128):
        super().__init__()
        cin = _c(32, width_mult)
        self.stem = conv_bn(3, cin, 3, 2)
        self.stages = nn.ModuleList()
        chans = []
        for t, c, n, s, d in STAGES:
            cout = _c(c, width_mult)
            blocks = [InvertedResidual(cin if i == 0 else cout, cout, s if i == 0 else 1, t, d)
                      for i in range(n)]
            self.stages.append(nn.Sequential(*blocks))
            chans.append(cout)
            cin = cout
        # LR-ASPP: 1x1 conv on the deep features, gated by a global-context sigmoid, plus a
        # classifier on the 1/8 features for boundaries.
        self.head_conv = conv_bn(cin, head_channels)
        self.head_gate = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, head_channels, 1), nn.Sigmoid())
        self.head_cls = nn.Conv2d(head_channels, num_classes, 1)
        self.low_cls = nn.Conv2d(chans[LOW_STAGE], num_classes, 1)
        # Auxiliary classifier for multi-level adaptation (AdaptSegNet's conv4 classifier). It is
        # always built so any checkpoint can warm-start any method, but only run when asked.
        self.aux = nn.Sequential(conv_bn(chans[AUX_STAGE], 64, 3), nn.Conv2d(64, num_classes, 1))

    def forward_train(self, x, with_aux=False):
        size = x.shape[-2:]
        x = self.stem(x)
        low = aux_feat = None
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i == LOW_STAGE:
                low = x
            elif i == AUX_STAGE:
                aux_feat = x
        y = self.head_conv(x) * self.head_gate(x)
        y = F.interpolate(y, size=low.shape[-2:], mode="bilinear", align_corners=False)
        y = self.head_cls(y) + self.low_cls(low)
        y = F.interpolate(y, size=size, mode="bilinear", align_corners=False)
        if not with_aux:
            return y, None
        a = F.interpolate(self.aux(aux_feat), size=size, mode="bilinear", align_corners=False)
        return y, a

    def forward(self, x):
        """Logits (N, 19, H, W) at the input resolution; this is what is exported."""
        return self.forward_train(x)[0]


def tta_softmax(net, x, scales=(1.0,), flip=False):
    """Softmax of `net` on x (N, 3, H, W) averaged over input scales (bilinear, back to H x W) and,
    with `flip`, their horizontal mirrors. One scale and no flip is the plain softmax."""
    size = x.shape[-2:]
    total, n = 0, 0
    for s in scales:
        xs = x if s == 1.0 else F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=False)
        for mirrored in ((False, True) if flip else (False,)):
            xi = xs.flip(-1) if mirrored else xs
            p = F.softmax(net(xi), dim=1)
            p = p.flip(-1) if mirrored else p
            if s != 1.0:  # a Python test, not a shape one: the exported graph stays valid at any input size
                p = F.interpolate(p, size=size, mode="bilinear", align_corners=False)
            total, n = total + p, n + 1
    return total / n


class TestTimeAugmented(nn.Module):
    """The net with its softmax averaged over input scales and mirrors (`tta_scales`, `tta_flip`),
    returning log-probabilities: argmax, softmax (confidence, entropy, the discriminator's input) and
    bilinear upsampling downstream work on them as on logits. One view costs one forward pass at
    that scale, so scales 0.75,1,1.25 + flip cost about 6.25x the plain net."""

    def __init__(self, net, scales, flip):
        super().__init__()
        self.net, self.scales, self.flip = net, tuple(scales), bool(flip)

    def forward(self, x):
        return tta_softmax(self.net, x, self.scales, self.flip).clamp_min(1e-30).log()

    def describe(self) -> dict:
        """For the model card: the views and their cost relative to one plain pass (pixels scale with s^2)."""
        mirrors = 2 if self.flip else 1
        return {"scales": list(self.scales), "flip": self.flip, "forward_passes": len(self.scales) * mirrors,
                "relative_cost": round(sum(s * s for s in self.scales) * mirrors, 3)}


def inference_net(net, cfg) -> nn.Module:
    """What evaluation and export run: the net itself, or wrapped when the config asks for TTA."""
    scales, flip = tuple(cfg.tta_scales), cfg.tta_flip
    return net if scales == (1.0,) and not flip else TestTimeAugmented(net, scales, flip).eval()


def build_model(cfg) -> SegNet:
    return SegNet(width_mult=cfg.width_mult, head_channels=cfg.head_channels)


def load_ckpt(path, map_location="cpu") -> dict:
    """Checkpoints hold only tensors and plain data, so torch 2 loads them with weights_only (safe for
    files users bring; its default from 2.6). torch 1.13's safe unpickler cannot read floats."""
    safe = int(torch.__version__.split(".")[0]) >= 2
    return torch.load(path, map_location=map_location, **({"weights_only": True} if safe else {}))


def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
