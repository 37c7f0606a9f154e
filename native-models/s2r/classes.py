"""The 19 Cityscapes train classes and the labelId -> trainId table (cityscapesScripts labels.py)."""
import numpy as np

IGNORE = 255
NUM_CLASSES = 19

# (trainId, name, colour)
CLASSES = [
    (0, "road", (128, 64, 128)), (1, "sidewalk", (244, 35, 232)), (2, "building", (70, 70, 70)),
    (3, "wall", (102, 102, 156)), (4, "fence", (190, 153, 153)), (5, "pole", (153, 153, 153)),
    (6, "traffic light", (250, 170, 30)), (7, "traffic sign", (220, 220, 0)),
    (8, "vegetation", (107, 142, 35)), (9, "terrain", (152, 251, 152)), (10, "sky", (70, 130, 180)),
    (11, "person", (220, 20, 60)), (12, "rider", (255, 0, 0)), (13, "car", (0, 0, 142)),
    (14, "truck", (0, 0, 70)), (15, "bus", (0, 60, 100)), (16, "train", (0, 80, 100)),
    (17, "motorcycle", (0, 0, 230)), (18, "bicycle", (119, 11, 32)),
]
CLASS_NAMES = [c[1] for c in CLASSES]

LABELID_TO_TRAINID = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10,
                      24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18}

# A 256-entry table so decoding a whole label image is one fancy-index; anything unknown is ignore.
LUT = np.full(256, IGNORE, dtype=np.uint8)
for _label_id, _train_id in LABELID_TO_TRAINID.items():
    LUT[_label_id] = _train_id

# Inverse, used to write labelId fixtures and palettes in tests.
TRAINID_TO_LABELID = {v: k for k, v in LABELID_TO_TRAINID.items()}
