"""Datasets for our generator's layout, GTA5-style folders, Cityscapes and plain frame folders.

Labels are read as palette INDICES (PIL 'P' -> np.array gives indices = Cityscapes labelIds), never
as RGB, then mapped to trainIds with the Cityscapes LUT (255 = ignore). Every image the network sees
goes through `resize_rgb` to the configured input size first: the app does exactly the same, so
train, evaluation, export reference masks and the app agree on one preprocessing."""
import re
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np
import torch
from PIL import Image

from .classes import IGNORE, LUT

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
GT_SUFFIX = "_gtFine_labelIds.png"


# ---------------------------------------------------------------------------- decoding / resizing
def read_rgb(path) -> Image.Image:
    with Image.open(path) as im:
        return im.convert("RGB")


def read_label(path) -> np.ndarray:
    """labelId image -> uint8 trainIds at the file's own resolution."""
    with Image.open(path) as im:
        if im.mode in ("P", "L"):
            ids = np.array(im)
        elif im.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit labelIds (some exporters)
            ids = np.array(im).astype(np.int64)
            ids = np.where((ids >= 0) & (ids < 256), ids, 0).astype(np.uint8)
        else:
            raise ValueError(f"{path}: label mode {im.mode}; expected a palette/grey PNG of labelIds "
                             "(colour-coded labels are not read, their colours are ambiguous)")
    return LUT[ids]


def resize_rgb(img: Image.Image, hw: Tuple[int, int]) -> Image.Image:
    """THE resize of the preprocessing contract: PIL bilinear (antialiased tent filter) on uint8."""
    h, w = hw
    return img if img.size == (w, h) else img.resize((w, h), Image.BILINEAR)


def resize_label(lbl: np.ndarray, hw: Tuple[int, int]) -> np.ndarray:
    h, w = hw
    if lbl.shape == (h, w):
        return lbl
    return np.array(Image.fromarray(lbl).resize((w, h), Image.NEAREST))


def normalize(img: Image.Image, mean, std) -> torch.Tensor:
    x = np.asarray(img, dtype=np.float32) / 255.0
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))


# ---------------------------------------------------------------------------- listings
def _images_in(folder: Path) -> List[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTS and p.is_file())


def gta5_pairs(root) -> List[Tuple[Path, Path]]:
    """root/images/X.(png|jpg) with root/labels/X.png; images without a label are skipped."""
    root = Path(root)
    labels = {p.stem: p for p in (root / "labels").glob("*.png")}
    pairs = [(p, labels[p.stem]) for p in _images_in(root / "images") if p.stem in labels]
    if not pairs:
        raise FileNotFoundError(f"no image/label pairs under {root}/images and {root}/labels")
    return pairs


def sim_split(pairs: list, frac: float, split: str) -> list:
    """Hold out the LAST `frac` of the sorted frames. A contiguous tail, not a random sample: if the
    simulator renders drives, neighbouring frames are near-duplicates and a random holdout leaks."""
    n_val = int(round(len(pairs) * frac)) if frac > 0 else 0
    if n_val >= len(pairs):
        n_val = len(pairs) - 1
    return pairs[len(pairs) - n_val:] if split == "val" else pairs[:len(pairs) - n_val]


_GT_RE = re.compile(r"^(?P<seq>.+)_(?P<seqno>\d+)_(?P<frame>\d+)" + re.escape(GT_SUFFIX) + "$")


def _s2r_frame_for(gt: Path, frames_root: Path) -> Optional[Path]:
    m = _GT_RE.match(gt.name)
    if not m:
        return None
    seq_dir = frames_root / gt.parent.name
    for ext in (".jpg", ".png", ".jpeg"):
        p = seq_dir / f"frame_{m.group('frame')}{ext}"
        if p.exists():
            return p
    return None


def s2r_pairs(root, split: str) -> List[Tuple[Path, Path]]:
    """Our dashcam layout: dashcam_gt/gtFine/<split>/seqSSS/seqSSS_SSSSSS_FFFFFF_gtFine_labelIds.png
    labels dashcam/frames/seqSSS/frame_FFFFFF.jpg."""
    root = Path(root)
    pairs = []
    for gt in sorted((root / "dashcam_gt" / "gtFine" / split).glob(f"*/*{GT_SUFFIX}")):
        frame = _s2r_frame_for(gt, root / "dashcam" / "frames")
        if frame is None:
            raise FileNotFoundError(f"no dashcam frame for {gt}")
        pairs.append((frame, gt))
    return pairs


def s2r_train_frames(root) -> List[Path]:
    """Unlabelled adaptation frames: every frame of the sequences whose gt is in the train split
    (splits are per sequence). Sequences of val/test never reach training, not even unlabelled."""
    root = Path(root)
    gt_root = root / "dashcam_gt" / "gtFine"
    seqs = lambda split: {p.name for p in (gt_root / split).glob("*") if p.is_dir()}
    train = seqs("train") - seqs("val") - seqs("test")
    return [p for s in sorted(train) for p in _images_in(root / "dashcam" / "frames" / s)]


def cityscapes_pairs(root, split: str) -> List[Tuple[Path, Path]]:
    root = Path(root)
    pairs = []
    for img in sorted((root / "leftImg8bit" / split).glob("*/*_leftImg8bit.png")):
        gt = root / "gtFine" / split / img.parent.name / img.name.replace("_leftImg8bit.png", GT_SUFFIX)
        if gt.exists():
            pairs.append((img, gt))
    return pairs


def source_items(cfg, split: str) -> list:
    return sim_split(gta5_pairs(cfg.source_dir), cfg.sim_val_frac, split)


def target_items(cfg, split: str) -> list:
    """Labelled target pairs for 'train' (oracle), 'val' (checkpoint choice) or 'test' (report)."""
    if cfg.target_format == "s2r":
        return s2r_pairs(cfg.target_dir, split)
    if cfg.target_format == "cityscapes":
        return cityscapes_pairs(cfg.target_dir, split)
    return []  # a plain folder has no labels


def target_frames(cfg) -> List[Path]:
    if cfg.target_format == "s2r":
        frames = s2r_train_frames(cfg.target_dir)
    elif cfg.target_format == "cityscapes":
        frames = _images_in(Path(cfg.target_dir) / "leftImg8bit" / "train")
    else:
        frames = _images_in(Path(cfg.target_dir))
    if not frames:
        raise FileNotFoundError(f"no target training frames under {cfg.target_dir} ({cfg.target_format})")
    return frames


def split_items(cfg, split: str) -> list:
    """Evaluation splits by name: sim_val, sim_train, dashcam_val, dashcam_test, dashcam_train."""
    domain, _, part = split.partition("_")
    if domain == "sim" and part in ("train", "val"):
        return source_items(cfg, part)
    if domain == "dashcam" and part in ("train", "val", "test"):
        return target_items(cfg, part)
    raise ValueError(f"unknown split {split!r}; use sim_val, dashcam_val or dashcam_test")


# ---------------------------------------------------------------------------- training samples
class TrainSet(torch.utils.data.Dataset):
    """Random scale, crop and flip around the input size. Indexed by (item, sample_seed) so that the
    augmentation of iteration k is a pure function of (seed, k): resuming replays the same batches."""

    def __init__(self, items: list, cfg, labelled: bool):
        self.items, self.cfg, self.labelled = items, cfg, labelled
        h, w = cfg.input_size
        # Images are first brought to the largest size augmentation can ask for; caching that copy
        # removes PNG/JPEG decoding (the slowest part on 2 cores) from every later epoch.
        self.max_hw = (int(round(h * cfg.scale_max)), int(round(w * cfg.scale_max)))
        self.cache = {} if cfg.cache_images else None

    def __len__(self):
        return len(self.items)

    def _load(self, i):
        if self.cache is not None and i in self.cache:
            return self.cache[i]
        item = self.items[i]
        img_path = item[0] if self.labelled else item
        img = np.asarray(resize_rgb(read_rgb(img_path), self.max_hw))
        lbl = resize_label(read_label(item[1]), self.max_hw) if self.labelled else None
        if self.cache is not None:
            self.cache[i] = (img, lbl)
        return img, lbl

    def __getitem__(self, key):
        i, sample_seed = key
        cfg = self.cfg
        rng = np.random.default_rng(sample_seed)
        img, lbl = self._load(i)
        h, w = cfg.input_size
        s = rng.uniform(cfg.scale_min, cfg.scale_max)
        sh, sw = max(1, int(round(h * s))), max(1, int(round(w * s)))
        im = resize_rgb(Image.fromarray(img), (sh, sw))
        lb = resize_label(lbl, (sh, sw)) if lbl is not None else np.full((sh, sw), IGNORE, np.uint8)
        im = np.asarray(im)
        if sh < h or sw < w:  # pad: image with zeros (= black), label with ignore
            ph, pw = max(h, sh), max(w, sw)
            im = np.pad(im, ((0, ph - sh), (0, pw - sw), (0, 0)))
            lb = np.pad(lb, ((0, ph - sh), (0, pw - sw)), constant_values=IGNORE)
        y = int(rng.integers(0, im.shape[0] - h + 1))
        x = int(rng.integers(0, im.shape[1] - w + 1))
        im, lb = im[y:y + h, x:x + w], lb[y:y + h, x:x + w]
        if cfg.hflip and rng.random() < 0.5:
            im, lb = im[:, ::-1], lb[:, ::-1]
        return normalize(Image.fromarray(np.ascontiguousarray(im)), cfg.mean, cfg.std), \
            torch.from_numpy(np.ascontiguousarray(lb).astype(np.int64))


class SeededSampler(torch.utils.data.Sampler):
    """Endless epochs of seeded permutations; sample k of the stream is fixed by (seed, stream, k),
    so a resumed run starts at k = iteration * batch_size and continues the same sequence."""

    def __init__(self, n: int, seed: int, stream: int, start: int = 0):
        self.n, self.seed, self.stream, self.start = n, seed, stream, start

    def __iter__(self):
        k = self.start
        epoch, perm = -1, None
        while True:
            e, pos = divmod(k, self.n)
            if e != epoch:
                epoch, perm = e, np.random.default_rng([self.seed, self.stream, e]).permutation(self.n)
            yield int(perm[pos]), int(np.random.SeedSequence([self.seed, self.stream, k]).generate_state(1)[0])
            k += 1


def endless_loader(dataset: TrainSet, cfg, stream: int, start_iter: int, device=None):
    sampler = SeededSampler(len(dataset), cfg.seed, stream, start_iter * cfg.batch_size)
    cuda = device is not None and torch.device(device).type == "cuda"
    # Its own generator: a DataLoader iterator otherwise draws its base seed from the global RNG,
    # which a resumed run has just restored, so every augmentation after a resume came out shifted.
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=cfg.batch_size, sampler=sampler, num_workers=cfg.num_workers,
        persistent_workers=cfg.num_workers > 0, drop_last=True, pin_memory=cuda,
        generator=torch.Generator().manual_seed(cfg.seed * 7919 + stream))
    if device is None or torch.device(device).type == "cpu":
        return iter(loader)
    return ((x.to(device, non_blocking=True), y.to(device, non_blocking=True)) for x, y in loader)


def eval_input(path, cfg) -> torch.Tensor:
    """One frame as the network sees it at test time: (1, 3, H, W) at the input size."""
    return normalize(resize_rgb(read_rgb(path), cfg.input_size), cfg.mean, cfg.std)[None]
