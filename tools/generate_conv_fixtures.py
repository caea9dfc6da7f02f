"""Write the PyTorch reference fixtures for `tests/test_conv_layer.py` (run once, commit the files).

Run from the repository root with Python in a virtual environment that has torch (torch is never
needed by the library or the tests), e.g. `.venv-torch/bin/python -m tools.generate_conv_fixtures`.

For each configuration it stores, in float64: the input x, the filters W, the bias b, an upstream
gradient g, PyTorch's output `conv2d(x, W, b, stride, padding)` and the gradients of `sum(out * g)`
w.r.t. x, W and b. Everything goes into one pickle-free `tests/fixtures/conv2d.npz` with named arrays
per configuration: `case07/x`, `case07/W`, ..., `case07/grad_b`, and the configuration itself as
`case07/kernel`, `case07/stride`, `case07/padding` (int64 pairs).

The first four configurations are the course's: after `np.random.seed(9001)`,
`x = np.random.rand(2, 3, 11, 11)`, then four Conv2d(3, 10, (3, 3)) built in the order plain,
stride (2, 2), padding (1, 1), stride + padding, whose filters are drawn from the global stream in
that order, exactly as `lib.convolutions.Conv2d.__init__` draws them; their bias is zero.
Their forward outputs are also written in the course's own file layout, `conv.npy`,
`conv_stride.npy`, `conv_pad.npy` and `conv_stride_pad.npy` next to the handout's `test_conv_layer.py`
(`tests/handout/`) ((2, 10, OH, OW)
float64 each), which the course's `test_conv_layer.py` loads from the directory it lives in.
"""
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import torch

from lib.convolutions import calculate_conv_output
from lib.utilities import atomic_write, save_arrays

REPO_ROOT = Path(__file__).resolve().parent.parent

OUT_DIR = REPO_ROOT / "tests"
FIXTURE_FILE = OUT_DIR / "fixtures" / "conv2d.npz"

COURSE_STRIDES_PADDINGS = [((1, 1), (0, 0)), ((2, 2), (0, 0)), ((1, 1), (1, 1)), ((2, 2), (1, 1))]
COURSE_FILE_NAMES = ("conv", "conv_stride", "conv_pad", "conv_stride_pad")  # the course test's names, same order

# (N, C, H, W, F, (KH, KW), (SH, SW), (PH, PW)) beyond the course's four.
EXTRA_CONFIGS = [
    (1, 1, 5, 5, 1, (3, 3), (1, 1), (0, 0)),  # batch 1, one channel
    (1, 2, 6, 7, 3, (2, 3), (1, 1), (0, 0)),  # non-square kernel
    (2, 1, 7, 6, 2, (3, 2), (2, 1), (1, 0)),  # non-square stride and padding
    (2, 2, 9, 9, 2, (2, 2), (3, 3), (0, 0)),  # stride larger than the kernel
    (1, 1, 10, 11, 2, (1, 2), (3, 4), (0, 0)),  # stride larger than a non-square kernel
    (2, 1, 5, 5, 2, (3, 3), (1, 1), (2, 2)),  # padding larger than half the kernel
    (1, 2, 4, 5, 2, (2, 2), (1, 2), (3, 2)),  # padding larger than the kernel
    (2, 4, 4, 5, 3, (1, 1), (1, 1), (0, 0)),  # 1x1 kernel
    (2, 3, 5, 5, 2, (1, 1), (2, 2), (1, 1)),  # 1x1 kernel with stride and padding
    (2, 16, 5, 5, 8, (3, 3), (1, 1), (1, 1)),  # many input channels
    (1, 3, 4, 4, 32, (2, 2), (2, 2), (0, 0)),  # many filters
    (2, 2, 4, 4, 3, (4, 4), (1, 1), (0, 0)),  # kernel as large as the input
    (1, 2, 3, 3, 2, (5, 5), (1, 1), (1, 1)),  # kernel as large as the padded input
    (2, 1, 8, 8, 2, (3, 3), (3, 3), (0, 0)),  # stride does not divide H - KH
    (3, 1, 8, 8, 5, (4, 4), (2, 2), (1, 1)),  # the course model's first layer, small
    (3, 5, 4, 4, 10, (4, 4), (2, 2), (1, 1)),  # the course model's second layer, small
    (1, 2, 12, 3, 2, (5, 1), (2, 1), (0, 1)),  # tall input and kernel
    (1, 2, 3, 12, 2, (1, 5), (1, 2), (1, 0)),  # wide input and kernel
    (1, 1, 9, 9, 3, (5, 5), (2, 2), (2, 2)),  # large kernel with stride
    (4, 2, 6, 6, 3, (3, 3), (2, 3), (2, 1)),  # larger batch, mixed stride and padding
    (2, 3, 7, 10, 4, (4, 2), (2, 3), (1, 2)),  # everything asymmetric
    (1, 1, 1, 1, 2, (1, 1), (1, 1), (0, 0)),  # a single pixel
    (5, 1, 6, 6, 1, (2, 2), (2, 2), (0, 0)),  # non-overlapping windows
    (2, 3, 6, 6, 4, (3, 3), (1, 1), (1, 1)),  # 'same' padding, like the benchmark's heavy layer
]


def torch_reference(x: np.ndarray, w: np.ndarray, b: np.ndarray, grad_out: np.ndarray,
                    stride: Tuple[int, int], padding: Tuple[int, int]) -> Dict[str, np.ndarray]:
    """PyTorch's float64 output and gradients of sum(out * grad_out) w.r.t. x, W and b."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b.reshape(-1), dtype=torch.float64, requires_grad=True)
    out = torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=padding)
    out.backward(torch.tensor(grad_out, dtype=torch.float64))
    return {"out": out.detach().numpy(), "grad_x": xt.grad.numpy(), "grad_W": wt.grad.numpy(),
            "grad_b": bt.grad.numpy().reshape(-1, 1, 1)}


def course_configs() -> List[Tuple[tuple, np.ndarray, np.ndarray, np.ndarray]]:
    """The course's four configurations, drawing x and the filters in the course's order."""
    np.random.seed(9001)
    x = np.random.rand(2, 3, 11, 11)
    filters = [np.random.randn(10, 3, 3, 3) * 0.1 for _ in COURSE_STRIDES_PADDINGS]  # as Conv2d.__init__ draws
    return [((2, 3, 11, 11, 10, (3, 3), stride, padding), x, w, np.zeros((10, 1, 1)))
            for (stride, padding), w in zip(COURSE_STRIDES_PADDINGS, filters)]


def extra_configs() -> List[Tuple[tuple, np.ndarray, np.ndarray, np.ndarray]]:
    """The other configurations with inputs, filters and non-zero biases from a seeded generator."""
    rng = np.random.default_rng(2024)
    result = []
    for config in EXTRA_CONFIGS:
        n, c, h, w, f, kernel, _, _ = config
        result.append((config, rng.standard_normal((n, c, h, w)), rng.standard_normal((f, c) + kernel),
                       rng.standard_normal((f, 1, 1))))
    return result


def main() -> None:
    """Compute every configuration with PyTorch and write the fixture file and the course's files."""
    torch.set_num_threads(1)
    grad_rng = np.random.default_rng(7)
    fixtures, course_outputs = {}, []
    for index, ((n, c, h, w, f, kernel, stride, padding), x, weights, bias) in enumerate(
            course_configs() + extra_configs()):
        oh, ow = calculate_conv_output((h, w), kernel, stride, padding)
        arrays = {"x": x, "W": weights, "b": bias, "grad_out": grad_rng.standard_normal((n, f, oh, ow))}
        arrays.update(torch_reference(x, weights, bias, arrays["grad_out"], stride, padding))
        arrays.update(kernel=np.array(kernel), stride=np.array(stride), padding=np.array(padding))
        fixtures.update({f"case{index:02d}/{name}": value for name, value in arrays.items()})
        if len(course_outputs) < len(COURSE_FILE_NAMES):  # the course's configurations come first
            course_outputs.append(arrays["out"])
    for name, out in zip(COURSE_FILE_NAMES, course_outputs):
        atomic_write(OUT_DIR / "handout" / (name + ".npy"),
                     lambda handle, out=out: np.save(handle, out, allow_pickle=False))
    save_arrays(FIXTURE_FILE, fixtures)
    print(f"wrote {index + 1} configurations to {FIXTURE_FILE.relative_to(REPO_ROOT)} with torch {torch.__version__}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
