"""A tiny numpy interpreter for the ONNX ops our exported graphs use. Debian ships no onnxruntime
for Python, and onnx 1.12 has no reference evaluator; running the exported graph by the ONNX spec
(not through torch) is what catches exporter mismatches such as Resize coordinate modes."""
import functools

import numpy as np
import onnx
from onnx import numpy_helper
from numpy.lib.stride_tricks import sliding_window_view


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, a):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    g = a.get("group", 1)
    sh, sw = a.get("strides", [1, 1])
    dh, dw = a.get("dilations", [1, 1])
    pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
    x = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    win = sliding_window_view(x, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    win = win[:, :, ::sh, ::sw, ::dh, ::dw]  # (n, c, ho, wo, kh, kw)
    ho, wo = win.shape[2:4]
    win = win.reshape(n, g, c // g, ho, wo, kh, kw)
    y = np.einsum("ngchwij,gocij->ngohw", win, w.reshape(g, o // g, cg, kh, kw), optimize=True)
    y = y.reshape(n, o, ho, wo)
    return y + b.reshape(1, -1, 1, 1) if b is not None else y


def _linear_axis(x, axis, out_len):
    """ONNX Resize, mode linear, half_pixel, no antialias: along one axis."""
    in_len = x.shape[axis]
    scale = out_len / in_len
    src = (np.arange(out_len) + 0.5) / scale - 0.5
    src = np.clip(src, 0, in_len - 1)
    i0 = np.floor(src).astype(np.int64)
    i1 = np.minimum(i0 + 1, in_len - 1)
    t = (src - i0).astype(x.dtype)
    shape = [1] * x.ndim
    shape[axis] = out_len
    t = t.reshape(shape)
    return np.take(x, i0, axis=axis) * (1 - t) + np.take(x, i1, axis=axis) * t


def _resize(x, roi, scales, sizes, a):
    if a.get("mode", b"nearest") != b"linear" or a.get("coordinate_transformation_mode") != b"half_pixel":
        raise NotImplementedError(f"Resize {a}")
    if sizes is None or sizes.size == 0:
        sizes = np.floor(np.array(x.shape) * scales).astype(np.int64)
    for axis, (cur, new) in enumerate(zip(x.shape, sizes)):
        if cur != new:
            x = _linear_axis(x, axis, int(new))
    return x


def run(model_path, inputs: dict) -> dict:
    model = onnx.load(str(model_path))
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update(inputs)
    get = lambda n, i: env[n.input[i]] if i < len(n.input) and n.input[i] else None
    for node in model.graph.node:
        a, op = _attrs(node), node.op_type
        x = get(node, 0)
        if op == "Constant":
            y = numpy_helper.to_array(a["value"])
        elif op == "Identity":
            y = x
        elif op == "Conv":
            y = _conv(x, get(node, 1), get(node, 2), a)
        elif op == "Clip":
            lo, hi = get(node, 1), get(node, 2)
            y = np.clip(x, -np.inf if lo is None else lo, np.inf if hi is None else hi)
        elif op in ("Add", "Mul", "Sub", "Div"):
            b = get(node, 1)
            y = {"Add": np.add, "Mul": np.multiply, "Sub": np.subtract, "Div": np.divide}[op](x, b)
        elif op in ("Max", "Min"):
            y = functools.reduce(np.maximum if op == "Max" else np.minimum, [env[i] for i in node.input])
        elif op == "Log":
            y = np.log(x)
        elif op == "Softmax":
            e = np.exp(x - x.max(axis=a.get("axis", -1), keepdims=True))
            y = e / e.sum(axis=a.get("axis", -1), keepdims=True)
        elif op == "Sigmoid":
            y = 1 / (1 + np.exp(-x))
        elif op == "Relu":
            y = np.maximum(x, 0)
        elif op == "LeakyRelu":
            y = np.where(x >= 0, x, x * a.get("alpha", 0.01))
        elif op == "GlobalAveragePool":
            y = x.mean(axis=(2, 3), keepdims=True)
        elif op == "Shape":
            y = np.array(x.shape, np.int64)
        elif op == "Gather":
            y = np.take(x, get(node, 1), axis=a.get("axis", 0))
        elif op == "Unsqueeze":
            y = np.expand_dims(x, tuple(int(v) for v in get(node, 1)))
        elif op == "Concat":
            y = np.concatenate([env[i] for i in node.input], axis=a["axis"])
        elif op == "Slice":
            starts, ends = get(node, 1), get(node, 2)
            axes = get(node, 3) if get(node, 3) is not None else range(len(starts))
            steps = get(node, 4) if get(node, 4) is not None else [1] * len(starts)
            sl = [slice(None)] * x.ndim
            for s, e, ax, st in zip(starts, ends, axes, steps):
                sl[int(ax)] = slice(int(s), int(min(e, 2 ** 62)), int(st))
            y = x[tuple(sl)]
        elif op == "Cast":
            y = x.astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])
        elif op == "Resize":
            y = _resize(x, get(node, 1), get(node, 2), get(node, 3), a)
        else:
            raise NotImplementedError(f"onnx_ref: op {op}")
        env[node.output[0]] = np.asarray(y)
    return {o.name: env[o.name] for o in model.graph.output}
