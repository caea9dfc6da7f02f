"""Benchmark: forward + backward of `lib.convolutions.Conv2d` against the loop version and PyTorch CPU.

Layers (PyTorch layout): course-1 (50, 1, 28, 28) -> 5 filters 4x4, stride 2, padding 1, course-2
(50, 5, 14, 14) -> 10 filters, the same (the course model); strong-1..3, the strong CNN's 3x3 layers
(batch 125); heavy (64, 32, 28, 28) -> 64 filters 3x3. A step is `forward(x)` then `backward(grad)`;
each figure is a median over `--reps` steps (heavy: a twentieth; the loop version, `lib.naive_layers`:
3). "no dx" skips the input gradient (`backward_params`; `requires_grad=False` in PyTorch), as for a
first layer. PyTorch runs on 2 threads when importable. Targets (float64): Conv2d <= 1.2x PyTorch on
the course layers, <= 1.5x on heavy, >= 20x faster than the loop version.

    .venv-torch/bin/python -m benchmarks.bench_conv        (python -m ...: numpy columns only)
    python -m benchmarks.bench_conv --alternatives         (the building blocks' design alternatives)
    python -m benchmarks.bench_conv --products 3           (Conv2d's product policies, per layer)
    python -m benchmarks.bench_conv --pipeline 400         (the same policies in the course model's training)
    python -m benchmarks.bench_conv --against DIR --layers course-1 course-2 strong-1 strong-2 strong-3
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from benchmarks.common import (TORCH_THREADS, import_from_checkout, load_average, make_parser, median_seconds,
                               print_paired)
from lib.kernels import conv as conv_kernels, im2col as im2col_kernels
from lib.cli.allocator import keep_freed_memory
from lib.convolutions import Conv2d, calculate_conv_output
from lib.losses import CrossEntropyLoss
from lib.model_evaluation import predict
from lib.experiments import create_conv_model
from lib.naive_layers import conv2d_backward_naive, conv2d_forward_naive
from lib.optimizers import SGD

# name: ((N, C, H, W), F, kernel, stride, padding)
LAYERS = {
    "course-1": ((50, 1, 28, 28), 5, (4, 4), (2, 2), (1, 1)),
    "course-2": ((50, 5, 14, 14), 10, (4, 4), (2, 2), (1, 1)),
    "heavy": ((64, 32, 28, 28), 64, (3, 3), (1, 1), (1, 1)),
    "strong-1": ((125, 1, 28, 28), 16, (3, 3), (1, 1), (1, 1)),
    "strong-2": ((125, 16, 14, 14), 32, (3, 3), (1, 1), (1, 1)),
    "strong-3": ((125, 32, 7, 7), 32, (3, 3), (1, 1), (1, 1)),
}
DEFAULT_LAYERS = ["course-1", "course-2", "heavy"]  # the main table; --layers adds the strong CNN's
DTYPES = (("float64", np.float64), ("float32", np.float32))


def layer_reps(name: str, reps: int) -> int:
    """Timed steps for layer `name`: the heavy layer, 50-300x slower than the others, gets a twentieth."""
    return max(1, reps // 20) if name == "heavy" else reps


def make_problem(name: str, dtype, conv2d=Conv2d) -> Tuple[Conv2d, np.ndarray, np.ndarray]:
    """The layer (`conv2d` with random filters and bias), an input and an output gradient for one layer."""
    shape, filters, kernel, stride, padding = LAYERS[name]
    rng = np.random.default_rng(0)
    layer = conv2d(shape[1], filters, kernel, stride, padding)
    layer.W.data = rng.standard_normal(layer.W.data.shape).astype(dtype)
    layer.b.data = rng.standard_normal(layer.b.data.shape).astype(dtype)
    layer.W.grad, layer.b.grad = np.zeros_like(layer.W.data), np.zeros_like(layer.b.data)
    x = rng.random(shape).astype(dtype)
    grad = rng.standard_normal((shape[0], filters, *calculate_conv_output(shape[2:], kernel, stride, padding)))
    return layer, x, grad.astype(dtype)


def numpy_step(layer: Conv2d, x: np.ndarray, grad: np.ndarray, needs_dx: bool = True) -> Callable[[], object]:
    """One forward + backward of a layer (`backward_params` when the input gradient is not needed)."""
    def step():
        layer.forward(x)
        return layer.backward(grad) if needs_dx else layer.backward_params(grad)
    return step


def torch_steps(layer: Conv2d, x: np.ndarray, grad: np.ndarray) -> Tuple[Optional[Callable], Optional[Callable]]:
    """(with dx, no dx) forward + backward steps of torch's conv2d on the same data; (None, None) without torch."""
    try:
        import torch
    except ImportError:
        return None, None
    torch.set_num_threads(TORCH_THREADS)
    w = torch.tensor(layer.W.data, requires_grad=True)
    b = torch.tensor(layer.b.data.reshape(-1), requires_grad=True)
    g = torch.tensor(grad)
    xs = {True: torch.tensor(x, requires_grad=True), False: torch.tensor(x)}

    def make(needs_dx: bool):
        def step():
            torch.nn.functional.conv2d(xs[needs_dx], w, b, stride=layer.stride, padding=layer.pad).backward(g)
            w.grad = b.grad = xs[needs_dx].grad = None  # do not time gradient accumulation
        return step
    return make(True), make(False)


def print_table(names: List[str], reps: int) -> None:
    """Time every layer in float64 and float32 (Conv2d, loop version, PyTorch); print one markdown table."""
    try:
        import torch
        torch_info = f"torch {torch.__version__}, {TORCH_THREADS} threads"
    except ImportError:
        torch_info = "torch not importable: PyTorch columns empty"
    blas_env = {k: v for k, v in os.environ.items() if k.endswith("_NUM_THREADS")}
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {torch_info}, "
          f"thread settings in the environment: {blas_env or 'none'}, {load_average()}")
    runs = [(name, dtype_name, dtype) for dtype_name, dtype in DTYPES for name in names]
    times: Dict[Tuple[str, str], List[Optional[float]]] = {}  # Conv2d, Conv2d no dx, loop, torch, torch no dx
    # All numpy timings first, then all PyTorch timings: PyTorch's OpenMP threads and numpy's BLAS
    # threads spin-wait after each call, and interleaving the two on 2 cores made both erratic.
    for name, dtype_name, dtype in runs:
        layer, x, grad = make_problem(name, dtype)
        window = (layer.stride, layer.pad)
        times[name, dtype_name] = [median_seconds(numpy_step(layer, x, grad, dx), layer_reps(name, reps))
                                   for dx in (True, False)] + [
            median_seconds(lambda: (conv2d_forward_naive(x, layer.W.data, layer.b.data, *window),
                                    conv2d_backward_naive(x, layer.W.data, grad, *window)), 3)
            if dtype == np.float64 and name.startswith("course") else None]
    for name, dtype_name, dtype in runs:
        times[name, dtype_name] += [step and median_seconds(step, layer_reps(name, reps))
                                    for step in torch_steps(*make_problem(name, dtype))]

    def ms(s):
        return "-" if s is None else f"{s * 1e3:.3f}"

    def ratio(a, b):
        return "-" if a is None or b is None else f"{a / b:.2f}x"

    print("| layer | dtype | loop ms | Conv2d ms | torch ms | Conv2d/torch | loop/Conv2d | Conv2d no-dx ms | "
          "torch no-dx ms | no-dx Conv2d/torch |\n|---|---|---|---|---|---|---|---|---|---|")
    for (name, dtype_name), (ours, ours_no_dx, loop, torch_s, torch_no_dx) in times.items():
        cells = (name, dtype_name, ms(loop), ms(ours), ms(torch_s), ratio(ours, torch_s), ratio(loop, ours),
                 ms(ours_no_dx), ms(torch_no_dx), ratio(ours_no_dx, torch_no_dx))
        print("| " + " | ".join(cells) + " |")


def print_alternatives(names: List[str], reps: int) -> None:
    """Time the design alternatives of Conv2d's building blocks (float64, microseconds; notes/conv.md).

    The variants Conv2d uses are `lib.kernels.im2col`'s; those it does not use are written out here.
    """
    print("| layer | building block | variant | median us |\n|---|---|---|---|")
    for name in names:
        (n, c, h, w), f, (kh, kw), stride, (ph, pw) = LAYERS[name]
        (sh, sw), (oh, ow) = stride, calculate_conv_output((h, w), (kh, kw), stride, (ph, pw))
        rng = np.random.default_rng(0)
        x = rng.random((n, c, h, w))
        weights = rng.standard_normal((f, c * kh * kw))  # (F, K), K = C*KH*KW
        xp_nat = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))  # (N, C, HP, WP)
        xp_bi = im2col_kernels.pad_batch_inner(x, (ph, pw))  # (C, HP, WP, N)
        s_n, s_c, s_h, s_w = xp_nat.strides
        view_nat = as_strided(xp_nat, (n, oh, ow, c, kh, kw), (s_n, s_h * sh, s_w * sw, s_c, s_h, s_w),
                              writeable=False)  # (N, OH, OW, C, KH, KW), inside xp_nat; read-only
        patches = im2col_kernels.im2col(xp_bi, (kh, kw), stride, (oh, ow))  # (K, P)
        grad_t = rng.standard_normal((f, oh * ow * n))  # (F, P)
        grads_nat = rng.standard_normal((n, c, kh, kw, oh, ow))
        grads_bi = np.ascontiguousarray(grads_nat.transpose(2, 3, 1, 4, 5, 0))  # (KH, KW, C, OH, OW, N)
        flat_idx = ((np.arange(kh)[:, None] + sh * np.arange(oh))[:, None, :, None] * xp_bi.shape[2]
                    + (np.arange(kw)[:, None] + sw * np.arange(ow))[None, :, None, :]).ravel()  # into HP*WP

        def by_row(m):
            return m.reshape(m.shape[0], oh, -1).transpose(1, 0, 2)  # (OH, K, OW*N): one product per output row

        def forward_rows():  # into an (F, P) output, as Conv2d writes it
            out = np.empty((f, patches.shape[1]))
            return np.matmul(weights, by_row(patches), out=by_row(out))

        def col2im_natural():
            dxp = np.zeros_like(xp_nat)
            for u in range(kh):
                for v in range(kw):
                    dxp[:, :, u:u + sh * oh:sh, v:v + sw * ow:sw] += grads_nat[:, :, u, v]
            return dxp

        def col2im_add_at():
            dxp = np.zeros((c, xp_bi.shape[1] * xp_bi.shape[2], n))
            np.add.at(dxp, (slice(None), flat_idx), grads_bi.transpose(2, 0, 1, 3, 4, 5).reshape(c, -1, n))
            return dxp

        candidates = [
            ("im2col copy", "natural (N, OH, OW, C, KH, KW)", lambda: view_nat.reshape(n * oh * ow, -1)),
            ("im2col copy", "batch innermost (C, KH, KW, OH, OW, N)",
             lambda: im2col_kernels.im2col(xp_bi, (kh, kw), stride, (oh, ow))),
            ("col2im", "offset loop, natural layout", col2im_natural),
            ("col2im", "offset loop, batch innermost", lambda: im2col_kernels.col2im(grads_bi, xp_bi.shape, stride)),
            ("col2im", "np.add.at, batch innermost", col2im_add_at),
            ("forward product", "np.einsum", lambda: np.einsum("fk,kp->fp", weights, patches)),
            ("forward product", "np.einsum optimize=True",
             lambda: np.einsum("fk,kp->fp", weights, patches, optimize=True)),
            ("forward product", "np.tensordot", lambda: np.tensordot(weights, patches, axes=1)),
            ("forward product", "one matmul (F, K) @ (K, P)", lambda: weights @ patches),
            ("forward product", "matmul stacked over output rows", forward_rows),
            ("weight-gradient product", "one matmul (F, P) @ (P, K)", lambda: grad_t @ patches.T),
            ("weight-gradient product", "matmul stacked over output rows",
             lambda: np.matmul(by_row(grad_t), by_row(patches).transpose(0, 2, 1)).sum(axis=0)),
            ("padding", "np.pad, then batch-innermost copy",
             lambda: np.ascontiguousarray(np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))).transpose(1, 2, 3, 0))),
            ("padding", "one copy into a buffer, borders filled", lambda: im2col_kernels.pad_batch_inner(x, (ph, pw))),
        ]
        for block, variant, step in candidates:
            print(f"| {name} | {block} | {variant} | {median_seconds(step, reps) * 1e6:.1f} |", flush=True)


def product_policies():
    """Yield each name with Conv2d's products set to it (`ROW_PRODUCT_MAX_MACS`); the library's rule after."""
    default = conv_kernels.ROW_PRODUCT_MAX_MACS
    try:
        for label, threshold in (("stacked over output rows", float("inf")), ("one product", -1),
                                 ("by size (the library's rule)", default)):
            conv_kernels.ROW_PRODUCT_MAX_MACS = threshold
            yield label
    finally:
        conv_kernels.ROW_PRODUCT_MAX_MACS = default


def print_products(names: List[str], reps: int, rounds: int) -> None:
    """Each layer's step (with and without dx) under each product policy, alternating for `rounds` rounds."""
    print("| layer | dtype | products | fwd+bwd ms | fwd+bwd no dx ms |\n|---|---|---|---|---|")
    for name in names:
        for dtype_name, dtype in DTYPES:
            layer, x, grad = make_problem(name, dtype)
            steps = [numpy_step(layer, x, grad, needs_dx) for needs_dx in (True, False)]
            times: Dict[str, Tuple[list, list]] = {}
            for _ in range(rounds):
                for label in product_policies():
                    for step, column in zip(steps, times.setdefault(label, ([], []))):
                        column.append(median_seconds(step, layer_reps(name, reps)))
            for label, (with_dx, no_dx) in times.items():
                print(f"| {name} | {dtype_name} | {label} | {np.median(with_dx) * 1e3:.3f} | "
                      f"{np.median(no_dx) * 1e3:.3f} |", flush=True)


def pipeline_seconds(steps: int) -> Tuple[float, float]:
    """(median step, total) seconds of `steps` steps of `fit`'s loop for the course model on random data.

    Batch 50, no input gradient for the first layer; every 40 steps a forward pass over 2000 images.
    """
    np.random.seed(0)
    model, loss_fn = create_conv_model(), CrossEntropyLoss()
    optimizer = SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x, y = rng.random((2000, 1, 28, 28)).astype(np.float32), np.eye(10)[rng.integers(0, 10, 2000)]
    times, start = [], time.perf_counter()
    for step in range(steps):
        batch = slice(step % 40 * 50, step % 40 * 50 + 50)
        t0 = time.perf_counter()
        optimizer.zero_grad()
        loss_fn(model(x[batch]), y[batch])
        model.backward_params(loss_fn.backward())
        optimizer.step()
        times.append(time.perf_counter() - t0)
        if step % 40 == 39:
            predict(model.eval(), x, 1000)
            model.train()
    return float(np.median(times)), time.perf_counter() - start


def print_pipeline(steps: int, rounds: int = 3) -> None:
    """The course model's training under each product policy, the policies alternating for `rounds` rounds."""
    print("| products | round | median step ms | total s |\n|---|---|---|---|")
    for round_index in range(rounds):
        for label in product_policies():
            median, total = pipeline_seconds(steps)
            print(f"| {label} | {round_index + 1} | {median * 1e3:.3f} | {total:.2f} |", flush=True)


def print_against(checkout: Path, names: List[str], reps: int) -> None:
    """Each layer's step (with dx) here and in `checkout`, paired and alternating (float64, float32)."""
    their_conv2d = import_from_checkout(checkout, "convolutions").Conv2d
    print(f"this checkout against {checkout}: forward + backward with dx, {load_average()}")
    print_paired((f"{name} {dtype_name}", numpy_step(*make_problem(name, dtype)),
                  numpy_step(*make_problem(name, dtype, their_conv2d)), layer_reps(name, reps))
                 for name in names for dtype_name, dtype in DTYPES)


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--reps", type=int, default=200, help="timed steps per layer (default 200)")
    parser.add_argument("--layers", nargs="+", default=DEFAULT_LAYERS, choices=list(LAYERS),
                        help=f"layers to time (default {' '.join(DEFAULT_LAYERS)})")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--alternatives", action="store_true", help="instead: the building blocks' alternatives")
    mode.add_argument("--products", type=int, default=0, metavar="ROUNDS", help="instead: the product policies")
    mode.add_argument("--pipeline", type=int, default=0, metavar="STEPS", help="instead: the policies in training")
    mode.add_argument("--against", type=Path, default=None, metavar="DIR", help="instead: paired against DIR")
    args = parser.parse_args()
    keep_freed_memory()  # as run_strong_conv_experiment.py does: freed memory reused, not fresh pages
    if args.against:
        print_against(args.against, args.layers, args.reps)
    elif args.products:
        print_products(args.layers, args.reps, args.products)
    elif args.pipeline:
        print_pipeline(args.pipeline)
    elif args.alternatives:
        print_alternatives([name for name in args.layers if name != "heavy"], args.reps)
    else:
        print_table(args.layers, args.reps)


if __name__ == "__main__":
    main()
