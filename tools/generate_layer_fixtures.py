"""Write the PyTorch reference fixtures of the pooling and normalisation layers (run once, commit the .npz files).

Run from the repository root with a virtual environment that has torch (the library and the tests
never need it):

    python -m tools.generate_layer_fixtures        # e.g. .venv-torch/bin/python -m tools.generate_layer_fixtures

It writes one file per layer kind to tests/fixtures/: max_pool2d.npz, avg_pool2d.npz, blur_pool2d.npz
and batch_norm2d.npz, all float64 and pickle-free (read them with `np.load(path, allow_pickle=False)`).
Every configuration ("case00", "case01", ...) stores its settings as small int or float arrays and
its arrays under "<case>/<name>":

* pooling: kernel_size, stride, padding (int64 pairs); x, grad_out (the upstream gradient), and
  PyTorch's out and grad_x (the gradient of sum(out * grad_out) w.r.t. x). Max-pooling inputs
  include integer-valued and ReLU-like (many zeros) maps, so that windows hold ties.
* blur pooling: filt_size, stride, reflect (1: reflect padding, 0: zero padding), filt (the 2-D
  filter PyTorch convolved with), x, grad_out, out, grad_x. PyTorch has no BlurPool2d; the reference
  is the paper's: F.pad, then a depthwise F.conv2d with the normalised binomial filter.
* batch norm: eps, momentum, modes (1 = training step, 0 = evaluation step), weight and bias (the
  initial values), and per step "<case>/stepNN/" x, grad_out, out, grad_x, grad_weight, grad_bias
  (the gradients of that step alone) and running_mean, running_var after the step.

Deterministic: fixed seeds, one thread, and zip entries with a fixed timestamp, so a rerun with
the same torch writes the same bytes.
"""
import io
import os
import sys
import tempfile
import zipfile
from math import comb
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import torch
import torch.nn.functional as F

OUT_DIR = Path(__file__).resolve().parent.parent / "tests" / "fixtures"

# (N, C, H, W, kernel, stride, padding, input kind); kinds "ints" and "relu" and "zeros" make ties.
POOL_CONFIGS = [
    (2, 3, 8, 8, (2, 2), (2, 2), (0, 0), "normal"),  # the common case: 2x2 windows tiling the input
    (1, 1, 5, 5, (2, 2), (2, 2), (0, 0), "normal"),  # batch 1, one channel, stride not dividing the input
    (2, 2, 7, 9, (3, 3), (2, 2), (1, 1), "normal"),  # overlapping windows with padding
    (3, 1, 6, 5, (2, 3), (1, 2), (1, 1), "normal"),  # non-square kernel, stride and input
    (2, 4, 6, 6, (1, 1), (2, 2), (0, 0), "normal"),  # 1x1 kernel with a stride
    (2, 3, 8, 6, (2, 2), (2, 2), (0, 0), "relu"),  # tiling windows, many all-zero windows
    (2, 2, 7, 7, (3, 3), (1, 1), (1, 1), "ints"),  # overlapping windows with ties and padding
    (1, 3, 6, 8, (3, 2), (3, 2), (0, 0), "ints"),  # non-square windows tiling the input, ties
    (2, 2, 9, 7, (3, 3), (2, 2), (0, 0), "relu"),  # overlapping windows, ties at zero
    (1, 2, 4, 4, (4, 4), (1, 1), (2, 2), "ints"),  # padding of half the kernel
    (4, 1, 10, 3, (3, 1), (2, 1), (1, 0), "normal"),  # tall kernel, padding in one dimension
    (2, 2, 5, 5, (2, 2), (1, 1), (1, 1), "ints"),  # stride 1 with padding: every pixel in four windows
    (2, 1, 6, 6, (2, 2), (2, 2), (1, 1), "relu"),  # padded windows whose real entries are all zero
    (1, 1, 3, 3, (3, 3), (3, 3), (0, 0), "zeros"),  # one window, all entries equal
    (3, 2, 4, 6, (2, 2), (2, 3), (0, 1), "normal"),  # stride larger than the kernel
]

# (N, C, H, W, filt_size, stride, reflect)
BLUR_CONFIGS = [
    (2, 3, 8, 8, 4, 2, 1),  # the defaults
    (1, 1, 5, 7, 4, 2, 1),  # odd, non-square input
    (2, 2, 6, 6, 3, 2, 1),  # odd filter
    (1, 2, 7, 5, 5, 3, 1),  # stride 3
    (2, 1, 4, 4, 1, 2, 1),  # filt_size 1: plain subsampling
    (1, 2, 3, 3, 2, 1, 1),  # stride 1, even filter
    (3, 2, 5, 5, 4, 1, 1),  # stride 1, default filter
    (2, 2, 3, 4, 4, 2, 1),  # the smallest maps that can reflect 2 pixels
    (2, 2, 2, 3, 4, 2, 0),  # zero padding on maps too small to reflect
    (1, 3, 9, 6, 7, 2, 0),  # the largest binomial filter of the paper's code, zero padding
]

# (N, C, H, W, eps, momentum, modes): 1 = training step, 0 = evaluation step
BATCH_NORM_CONFIGS = [
    (4, 3, 5, 6, 1e-5, 0.1, (1, 1, 1, 0, 0)),  # the defaults: train, then evaluate
    (1, 2, 3, 4, 1e-3, 0.3, (1, 1, 0, 1, 0)),  # batch 1, modes alternating
    (6, 1, 2, 2, 1e-5, 0.1, (1, 1, 0)),  # one channel
    (3, 4, 1, 1, 1e-5, 0.5, (1, 1, 1, 0)),  # 1x1 maps: M = N values per channel
    (2, 5, 3, 2, 1e-1, 1.0, (1, 0, 1, 0)),  # momentum 1: running stats = the last batch's
    (2, 2, 4, 4, 1e-5, 0.0, (1, 0)),  # momentum 0: running stats never move
]


def pool_input(rng: np.random.Generator, shape: Tuple[int, ...], kind: str) -> np.ndarray:
    """A float64 input; "ints" and "relu" inputs hold many ties, "zeros" is all zeros."""
    if kind == "ints":
        return rng.integers(-2, 3, size=shape).astype(np.float64)
    if kind == "relu":
        return np.maximum(rng.standard_normal(shape), 0.0)
    if kind == "zeros":
        return np.zeros(shape)
    return rng.standard_normal(shape)


def pooling_fixtures(average: bool) -> Dict[str, np.ndarray]:
    """PyTorch's max or average pooling (count_include_pad=True, floor mode) over POOL_CONFIGS."""
    rng = np.random.default_rng(11 if average else 10)
    arrays = {}
    for index, (n, c, h, w, kernel, stride, padding, kind) in enumerate(POOL_CONFIGS):
        x = pool_input(rng, (n, c, h, w), kind)
        xt = torch.tensor(x, requires_grad=True)
        pool = F.avg_pool2d if average else F.max_pool2d
        out = pool(xt, kernel, stride, padding)
        grad_out = rng.standard_normal(tuple(out.shape))
        out.backward(torch.tensor(grad_out))
        case = f"case{index:02d}/"
        arrays.update({case + "kernel_size": np.array(kernel), case + "stride": np.array(stride),
                       case + "padding": np.array(padding), case + "x": x, case + "grad_out": grad_out,
                       case + "out": out.detach().numpy(), case + "grad_x": xt.grad.numpy()})
    return arrays


def blur_fixtures() -> Dict[str, np.ndarray]:
    """The paper's BlurPool: pad (reflect or zero), then a depthwise conv2d with the binomial filter."""
    rng = np.random.default_rng(12)
    arrays = {}
    for index, (n, c, h, w, filt_size, stride, reflect) in enumerate(BLUR_CONFIGS):
        taps = np.array([comb(filt_size - 1, i) for i in range(filt_size)], dtype=np.float64)
        filt = np.outer(taps, taps) / np.outer(taps, taps).sum()  # (F, F)
        x = rng.standard_normal((n, c, h, w))
        xt = torch.tensor(x, requires_grad=True)
        before, after = (filt_size - 1) // 2, filt_size // 2
        padded = F.pad(xt, (before, after, before, after), mode="reflect" if reflect else "constant")
        weights = torch.tensor(filt)[None, None].repeat(c, 1, 1, 1)  # (C, 1, F, F): one filter per channel
        out = F.conv2d(padded, weights, stride=stride, groups=c)
        grad_out = rng.standard_normal(tuple(out.shape))
        out.backward(torch.tensor(grad_out))
        case = f"case{index:02d}/"
        arrays.update({case + "filt_size": np.array(filt_size), case + "stride": np.array(stride),
                       case + "reflect": np.array(reflect), case + "filt": filt, case + "x": x,
                       case + "grad_out": grad_out, case + "out": out.detach().numpy(),
                       case + "grad_x": xt.grad.numpy()})
    return arrays


def batch_norm_fixtures() -> Dict[str, np.ndarray]:
    """nn.BatchNorm2d (float64) over several steps per configuration, gradients zeroed before each step."""
    rng = np.random.default_rng(13)
    arrays = {}
    for index, (n, c, h, w, eps, momentum, modes) in enumerate(BATCH_NORM_CONFIGS):
        layer = torch.nn.BatchNorm2d(c, eps=eps, momentum=momentum).double()
        weight, bias = 1.0 + 0.5 * rng.standard_normal(c), rng.standard_normal(c)
        with torch.no_grad():
            layer.weight.copy_(torch.tensor(weight))
            layer.bias.copy_(torch.tensor(bias))
        case = f"case{index:02d}/"
        arrays.update({case + "eps": np.array(eps), case + "momentum": np.array(momentum),
                       case + "modes": np.array(modes), case + "weight": weight, case + "bias": bias})
        for step, mode in enumerate(modes):
            layer.train(bool(mode))
            layer.zero_grad()
            # per-channel offsets and scales, so that the statistics differ between channels and steps
            offset, scale = rng.normal(3.0, 2.0, (1, c, 1, 1)), rng.uniform(0.5, 2.0, (1, c, 1, 1))
            x = offset + scale * rng.standard_normal((n, c, h, w))
            xt = torch.tensor(x, requires_grad=True)
            out = layer(xt)
            grad_out = rng.standard_normal((n, c, h, w))
            out.backward(torch.tensor(grad_out))
            prefix = f"{case}step{step:02d}/"
            arrays.update({prefix + "x": x, prefix + "grad_out": grad_out, prefix + "out": out.detach().numpy(),
                           prefix + "grad_x": xt.grad.numpy(), prefix + "grad_weight": layer.weight.grad.numpy(),
                           prefix + "grad_bias": layer.bias.grad.numpy(),
                           prefix + "running_mean": layer.running_mean.numpy().copy(),
                           prefix + "running_var": layer.running_var.numpy().copy()})
    return arrays


def write_npz(path: Path, arrays: Dict[str, np.ndarray]) -> None:
    """An .npz that np.load reads, with fixed zip timestamps (np.savez stamps the current time), atomically."""
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), suffix=".npz.tmp")
    try:
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(arrays):
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.array(arrays[name], order="C"), allow_pickle=False)
                info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, buffer.getvalue())
        os.chmod(tmp, 0o644)  # mkstemp creates files readable by the owner only
        os.replace(tmp, str(path))
    except BaseException:
        os.unlink(tmp)
        raise


def check_ties(arrays: Dict[str, np.ndarray]) -> int:
    """The number of max-pooling cases whose input holds equal values (PyTorch's tie rule is then tested)."""
    cases: List[str] = sorted({name.split("/")[0] for name in arrays})
    return sum(len(np.unique(arrays[case + "/x"])) < arrays[case + "/x"].size for case in cases)


def main() -> None:
    """Compute every fixture with PyTorch and write the four files."""
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    files = {"max_pool2d.npz": pooling_fixtures(average=False), "avg_pool2d.npz": pooling_fixtures(average=True),
             "blur_pool2d.npz": blur_fixtures(), "batch_norm2d.npz": batch_norm_fixtures()}
    if check_ties(files["max_pool2d.npz"]) < 5:
        raise RuntimeError("the max-pooling fixtures must contain ties")
    for name, arrays in files.items():
        write_npz(OUT_DIR / name, arrays)
        print(f"wrote {OUT_DIR / name}: {len(arrays)} arrays, {(OUT_DIR / name).stat().st_size / 1024:.0f} KiB",
              file=sys.stderr)
    print(f"torch {torch.__version__}, numpy {np.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()
