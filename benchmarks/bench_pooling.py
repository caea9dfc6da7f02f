"""Benchmark: `MaxPool2d` forward + backward in training mode, alone or against another checkout.

Inputs come as `Conv2d` hands them on (an (N, C, H, W) view of a batch-innermost array). Layers:
strong-1..3, MaxPool2d(2) after the strong CNN's convolutions (batch 125, float32); overlap,
MaxPool2d(3, stride=2, padding=1) on (50, 8, 28, 28) in float64 (windows overlap and are padded).

    python -m benchmarks.bench_pooling [--reps 200]
    python -m benchmarks.bench_pooling --against DIR    (paired steps against the checkout DIR)
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from benchmarks.common import import_from_checkout, load_average, make_parser, median_seconds, print_paired
from lib import pooling
from lib.cli.allocator import keep_freed_memory

# name: ((N, C, H, W), dtype, (kernel_size, stride, padding))
LAYERS = {
    "strong-1": ((125, 16, 28, 28), np.float32, (2, None, 0)),
    "strong-2": ((125, 32, 14, 14), np.float32, (2, None, 0)),
    "strong-3": ((125, 32, 7, 7), np.float32, (2, None, 0)),
    "overlap": ((50, 8, 28, 28), np.float64, (3, 2, 1)),
}


def make_step(module, name: str):
    """A training-mode forward + backward of `module.MaxPool2d` on the layer's input and a fixed gradient."""
    shape, dtype, arguments = LAYERS[name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape[1:] + shape[:1]).astype(dtype).transpose(3, 0, 1, 2)  # (N, C, H, W) view
    layer = module.MaxPool2d(*arguments)
    out = layer(x)
    grad = np.empty_like(out)  # in the output's memory layout, as the layer above hands it back
    grad[...] = rng.standard_normal(out.shape)

    def step():
        layer.forward(x)
        return layer.backward(grad)
    return step


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--reps", type=int, default=200, help="timed steps per layer (default 200)")
    parser.add_argument("--against", type=Path, default=None, metavar="DIR", help="another checkout to pair with")
    args = parser.parse_args()
    keep_freed_memory()  # as run_strong_conv_experiment.py does (lib/cli/allocator.py)
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs, {load_average()}")
    if args.against:
        other = import_from_checkout(args.against, "pooling")
        print_paired((name, make_step(pooling, name), make_step(other, name), args.reps) for name in LAYERS)
    else:
        for name in LAYERS:
            print(f"{name}: {median_seconds(make_step(pooling, name), args.reps) * 1e3:.3f} ms", flush=True)


if __name__ == "__main__":
    main()
