"""Benchmark: forward + backward of `lib.convolutions.Conv2d` against the loop reference and PyTorch CPU.

Layers (PyTorch layout; the first two are the course model's layers at batch 50):
    course-1: x (50, 1, 28, 28) -> 5 filters 4x4, stride 2, padding 1
    course-2: x (50, 5, 14, 14) -> 10 filters 4x4, stride 2, padding 1
    strong-1, strong-2, strong-3: the strong CNN's convolutions at batch 125 (lib/studies/strong_cnn.py),
        3x3, stride 1, padding 1: (125, 1, 28, 28) -> 16, (125, 16, 14, 14) -> 32, (125, 32, 7, 7) -> 32
    heavy:    x (64, 32, 28, 28) -> 64 filters 3x3, stride 1, padding 1

One timed step is `out = forward(x)` then `backward(grad)` with a fixed random `grad`; each figure
is the median over repeated steps after one warm-up step. "no dx" times the same step without the input
gradient (`backward_params` here, `requires_grad=False` on x in PyTorch), as for a model's first layer
in training. The loop reference is `tests/conv_reference.py` (fewer
repetitions, it is slow; skipped for the heavy layer unless --loop-heavy). PyTorch runs on the CPU
with 2 threads when torch is importable, e.g.

    .venv-torch/bin/python benchmarks/bench_conv.py
    python benchmarks/bench_conv.py --reps 100       (numpy only when torch is missing)
    python benchmarks/bench_conv.py --against /tmp/before --layers course-1 course-2 strong-2
                                                     (this checkout against another one, e.g. an earlier commit)

Targets (float64): Conv2d <= 1.2x PyTorch on each course layer, <= 1.5x on the heavy layer, and
>= 20x faster than the loop reference on the course layers. float32 is reported without a target.
numpy's BLAS picks its own thread count (OPENBLAS_NUM_THREADS etc. in the environment); it is printed.
"""
import argparse
import os
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lib.cli.allocator import keep_freed_memory  # noqa: E402  (after the path set-up above)
from lib.convolutions import Conv2d  # noqa: E402
from benchmarks.other_checkout import import_from_checkout, paired_ratio  # noqa: E402
from tests.conv_reference import conv2d_backward_loops, conv2d_forward_loops  # noqa: E402

TORCH_THREADS = 2
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


def median_seconds(step: Callable[[], object], reps: int) -> float:
    """Median wall time of `step()` over `reps` calls, after one untimed warm-up call."""
    step()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def numpy_step(layer: Conv2d, x: np.ndarray, grad: np.ndarray, needs_dx: bool = True) -> Callable[[], object]:
    """One forward + backward of this library's layer (`backward_params` when the input gradient is not needed)."""
    def step():
        layer.forward(x)
        return layer.backward(grad) if needs_dx else layer.backward_params(grad)
    return step


def torch_steps(layer: Conv2d, x: np.ndarray, grad: np.ndarray, threads: int = TORCH_THREADS):
    """(with dx, no dx) forward + backward steps of torch.nn.functional.conv2d on the same data, or None."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    w = torch.tensor(layer.W.data, requires_grad=True)
    b = torch.tensor(layer.b.data.reshape(-1), requires_grad=True)
    g = torch.tensor(grad)
    xs = {True: torch.tensor(x, requires_grad=True), False: torch.tensor(x)}

    def make(needs_dx: bool):
        def step():
            out = torch.nn.functional.conv2d(xs[needs_dx], w, b, stride=layer.stride, padding=layer.pad)
            out.backward(g)
            w.grad = b.grad = xs[needs_dx].grad = None  # do not time gradient accumulation
        return step
    return make(True), make(False)


def make_problem(name: str, dtype) -> Tuple[Conv2d, np.ndarray, np.ndarray]:
    """The layer (random filters and bias), an input and an output gradient for one benchmark layer."""
    shape, filters, kernel, stride, padding = LAYERS[name]
    rng = np.random.default_rng(0)
    layer = Conv2d(shape[1], filters, kernel, stride, padding)
    layer.W.data = rng.standard_normal(layer.W.data.shape).astype(dtype)
    layer.b.data = rng.standard_normal(layer.b.data.shape).astype(dtype)
    layer.W.grad, layer.b.grad = np.zeros_like(layer.W.data), np.zeros_like(layer.b.data)
    x = rng.random(shape).astype(dtype)
    grad = rng.standard_normal(layer._compute_output_shape(shape)).astype(dtype)
    return layer, x, grad


def bench_numpy(name: str, dtype, reps: int, loop_reps: int, with_loop: bool) -> Dict[str, Optional[float]]:
    """Median seconds per forward + backward of Conv2d (with and without dx) and of the loop reference."""
    layer, x, grad = make_problem(name, dtype)
    result = {"numpy": median_seconds(numpy_step(layer, x, grad), reps)}
    result["numpy no dx"] = median_seconds(numpy_step(layer, x, grad, needs_dx=False), reps)
    result["loop"] = None
    if with_loop:
        def loop_step():
            conv2d_forward_loops(x, layer.W.data, layer.b.data, layer.stride, layer.pad)
            return conv2d_backward_loops(x, layer.W.data, grad, layer.stride, layer.pad)
        result["loop"] = median_seconds(loop_step, loop_reps)
    return result


def bench_torch(name: str, dtype, reps: int, threads: int = TORCH_THREADS) -> Dict[str, Optional[float]]:
    """Median seconds per forward + backward in PyTorch (with and without dx); None when torch is missing."""
    steps = torch_steps(*make_problem(name, dtype), threads=threads)
    return {"torch": median_seconds(steps[0], reps) if steps else None,
            "torch no dx": median_seconds(steps[1], reps) if steps else None}


def alternative_timings(name: str, reps: int) -> List[Tuple[str, str, float]]:
    """Time the design alternatives of Conv2d's building blocks on one layer (float64).

    Returns rows (building block, variant, median seconds): patch-matrix layout (im2col copy and
    col2im), col2im by a loop over kernel offsets or by np.add.at, the forward and weight-gradient
    products (einsum, tensordot, one matmul, matmul stacked over output rows), and the padding
    (np.pad then a batch-innermost copy, or one copy into a preallocated zero buffer).
    """
    (n, c, h, w), f, (kh, kw), (sh, sw), (ph, pw) = LAYERS[name]
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    rng = np.random.default_rng(0)
    x = rng.random((n, c, h, w))
    weights = rng.standard_normal((f, c * kh * kw))
    xp_nat = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))  # (N, C, HP, WP)
    xp_bi = np.ascontiguousarray(xp_nat.transpose(1, 2, 3, 0))  # (C, HP, WP, N)
    s_n, s_c, s_h, s_w = xp_nat.strides
    view_nat = as_strided(xp_nat, (n, oh, ow, c, kh, kw), (s_n, s_h * sh, s_w * sw, s_c, s_h, s_w),
                          writeable=False)  # (N, OH, OW, C, KH, KW)
    b_c, b_h, b_w, b_n = xp_bi.strides
    view_bi = as_strided(xp_bi, (c, kh, kw, oh, ow, n), (b_c, b_h, b_w, b_h * sh, b_w * sw, b_n),
                         writeable=False)  # (C, KH, KW, OH, OW, N)
    patches = view_bi.reshape(c * kh * kw, -1)  # (C*KH*KW, P) copy
    grad_t = rng.standard_normal((f, oh * ow * n))  # (F, P)
    grad_patches_nat = rng.standard_normal((n, c, kh, kw, oh, ow))
    grad_patches_bi = np.ascontiguousarray(grad_patches_nat.transpose(2, 3, 1, 4, 5, 0))  # (KH, KW, C, OH, OW, N)

    def by_row(m):
        return m.reshape(m.shape[0], oh, -1).transpose(1, 0, 2)  # (OH, K, OW*N)

    def col2im_natural():
        dxp = np.zeros_like(xp_nat)
        for u in range(kh):
            for v in range(kw):
                dxp[:, :, u:u + sh * oh:sh, v:v + sw * ow:sw] += grad_patches_nat[:, :, u, v]
        return dxp

    def col2im_batch_inner():
        dxp = np.zeros_like(xp_bi)
        for u in range(kh):
            for v in range(kw):
                dxp[:, u:u + sh * oh:sh, v:v + sw * ow:sw, :] += grad_patches_bi[u, v]
        return dxp

    rows_idx = (np.arange(kh)[:, None] + sh * np.arange(oh))[:, None, :, None]  # (KH, 1, OH, 1)
    cols_idx = (np.arange(kw)[:, None] + sw * np.arange(ow))[None, :, None, :]  # (1, KW, 1, OW)
    flat_idx = (rows_idx * xp_bi.shape[2] + cols_idx).ravel()  # (KH*KW*OH*OW,) into HP*WP

    def col2im_add_at():
        dxp = np.zeros((c, xp_bi.shape[1] * xp_bi.shape[2], n))
        np.add.at(dxp, (slice(None), flat_idx), grad_patches_bi.transpose(2, 0, 1, 3, 4, 5).reshape(c, -1, n))
        return dxp

    def pad_np_pad():
        return np.ascontiguousarray(np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))).transpose(1, 2, 3, 0))

    def pad_buffer():
        xp = np.zeros_like(xp_bi)
        xp[:, ph:ph + h, pw:pw + w, :] = x.transpose(1, 2, 3, 0)
        return xp

    def forward_rows():
        out = np.empty((f, patches.shape[1]))
        np.matmul(weights, by_row(patches), out=by_row(out))
        return out

    candidates = [
        ("im2col copy", "natural (N, OH, OW, C, KH, KW)", lambda: view_nat.reshape(n * oh * ow, -1)),
        ("im2col copy", "batch innermost (C, KH, KW, OH, OW, N)", lambda: view_bi.reshape(c * kh * kw, -1)),
        ("col2im", "offset loop, natural layout", col2im_natural),
        ("col2im", "offset loop, batch innermost", col2im_batch_inner),
        ("col2im", "np.add.at, batch innermost", col2im_add_at),
        ("forward product", "np.einsum", lambda: np.einsum("fk,kp->fp", weights, patches)),
        ("forward product", "np.einsum optimize=True", lambda: np.einsum("fk,kp->fp", weights, patches,
                                                                         optimize=True)),
        ("forward product", "np.tensordot", lambda: np.tensordot(weights, patches, axes=1)),
        ("forward product", "one matmul (F, K) @ (K, P)", lambda: weights @ patches),
        ("forward product", "matmul stacked over output rows", forward_rows),
        ("weight-gradient product", "one matmul (F, P) @ (P, K)", lambda: grad_t @ patches.T),
        ("weight-gradient product", "matmul stacked over output rows",
         lambda: np.matmul(by_row(grad_t), by_row(patches).transpose(0, 2, 1)).sum(axis=0)),
        ("padding", "np.pad, then batch-innermost copy", pad_np_pad),
        ("padding", "zero buffer + one copy", pad_buffer),
    ]
    return [(block, variant, median_seconds(step, reps)) for block, variant, step in candidates]


def print_alternatives(names: List[str], reps: int) -> None:
    """Print the building-block timings of every layer in `names` as a markdown table (microseconds)."""
    print("| layer | building block | variant | median us |")
    print("|---|---|---|---|")
    for name in names:
        for block, variant, seconds in alternative_timings(name, reps):
            print(f"| {name} | {block} | {variant} | {seconds * 1e6:.1f} |")


def pipeline_seconds(steps: int) -> Tuple[float, float]:
    """Time the course model's training steps on random MNIST-shaped data: (median step, total) seconds.

    The model is the course's `Conv2d(1, 5, 4, 2, 1) - ReLU - Conv2d(5, 10, 4, 2, 1) - ReLU - Flatten -
    Linear(490, 10)` with cross-entropy and SGD with momentum, batch 50, the first layer's input
    gradient skipped (`backward_params`) as `fit` does; every 40 steps it also runs a forward pass over
    2000 images in chunks of 1000, as `evaluate` does.
    """
    from lib.activations import ReLU
    from lib.convolutions import Flatten
    from lib.losses import CrossEntropyLoss
    from lib.network import Linear, Sequential
    from lib.optimizers import SGD
    np.random.seed(0)
    model = Sequential(Conv2d(1, 5, (4, 4), (2, 2), (1, 1)), ReLU(), Conv2d(5, 10, (4, 4), (2, 2), (1, 1)), ReLU(),
                       Flatten(), Linear(490, 10))
    loss_fn, optimizer = CrossEntropyLoss(), SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = rng.random((2000, 1, 28, 28)).astype(np.float32)
    y = np.eye(10)[rng.integers(0, 10, 2000)]
    times = []
    start = time.perf_counter()
    for step in range(steps):
        batch = slice(step % 40 * 50, step % 40 * 50 + 50)
        t0 = time.perf_counter()
        optimizer.zero_grad()
        loss_fn(model(x[batch]), y[batch])
        model.backward_params(loss_fn.backward())
        optimizer.step()
        times.append(time.perf_counter() - t0)
        if step % 40 == 39:
            model.eval()
            for chunk in range(0, 2000, 1000):
                model(x[chunk:chunk + 1000])
            model.train()
    return float(np.median(times)), time.perf_counter() - start


# The product policies compared: Conv2d's ROW_PRODUCT_MAX_MACS set so that every product is stacked
# over output rows, none is, or as the library decides.
PRODUCT_POLICIES = (("stacked over output rows", float("inf")), ("one product", -1),
                    ("by size (the library's rule)", None))


def _with_policy(threshold, run: Callable[[], object]):
    """Run `run()` with Conv2d's ROW_PRODUCT_MAX_MACS set to `threshold` (None: the library's value)."""
    import lib.convolutions as convolutions
    default = convolutions.ROW_PRODUCT_MAX_MACS
    convolutions.ROW_PRODUCT_MAX_MACS = default if threshold is None else threshold
    try:
        return run()
    finally:
        convolutions.ROW_PRODUCT_MAX_MACS = default


def print_pipeline(steps: int, rounds: int) -> None:
    """Compare the course model's training with Conv2d's products stacked over output rows, as one product,
    and chosen by size; the policies alternate `rounds` times so that a change in the machine's load hits all.
    """
    print("| products | round | median step ms | total s |")
    print("|---|---|---|---|")
    for round_index in range(rounds):
        for label, threshold in PRODUCT_POLICIES:
            median, total = _with_policy(threshold, lambda: pipeline_seconds(steps))
            print(f"| {label} | {round_index + 1} | {median * 1e3:.3f} | {total:.2f} |")


def print_products(names: List[str], reps: int, rounds: int) -> None:
    """Forward + backward of each layer (float64 and float32) under each product policy, alternating rounds.

    Prints the median over rounds of each round's median step, in ms, with and without the input
    gradient; the first layer of a model only ever runs without it.
    """
    print("| layer | dtype | products | fwd+bwd ms | fwd+bwd no dx ms |")
    print("|---|---|---|---|---|")
    for name in names:
        for dtype_name, dtype in (("float64", np.float64), ("float32", np.float32)):
            layer, x, grad = make_problem(name, dtype)
            times = {label: ([], []) for label, _ in PRODUCT_POLICIES}
            for _ in range(rounds):
                for label, threshold in PRODUCT_POLICIES:
                    for needs_dx, column in ((True, 0), (False, 1)):
                        step = numpy_step(layer, x, grad, needs_dx)
                        times[label][column].append(_with_policy(threshold, lambda: median_seconds(step, reps)))
            for label, (with_dx, no_dx) in times.items():
                print(f"| {name} | {dtype_name} | {label} | {np.median(with_dx) * 1e3:.3f} | "
                      f"{np.median(no_dx) * 1e3:.3f} |")


def print_against(checkout: Path, names: List[str], reps: int) -> None:
    """Forward + backward of each layer here and in `checkout`, step by step alternating (float64, float32)."""
    their_conv2d = import_from_checkout(checkout, "convolutions").Conv2d
    print(f"this checkout against {checkout}: median of {reps} paired steps (forward + backward with dx)")
    print("| layer | dtype | this ms | other ms | median ratio this / other |")
    print("|---|---|---|---|---|")
    for name in names:
        for dtype_name, dtype in (("float64", np.float64), ("float32", np.float32)):
            layer, x, grad = make_problem(name, dtype)
            theirs = their_conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride, layer.pad)
            theirs.W.data, theirs.b.data = layer.W.data.copy(), layer.b.data.copy()
            theirs.W.grad, theirs.b.grad = np.zeros_like(layer.W.data), np.zeros_like(layer.b.data)
            ours_s, theirs_s, ratio = paired_ratio(numpy_step(layer, x, grad), numpy_step(theirs, x, grad), reps)
            print(f"| {name} | {dtype_name} | {ours_s * 1e3:.3f} | {theirs_s * 1e3:.3f} | {ratio:.3f} |", flush=True)


def fmt_ms(seconds: Optional[float]) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.3f}"


def fmt_ratio(a: Optional[float], b: Optional[float]) -> str:
    return "-" if a is None or b is None else f"{a / b:.2f}x"


def print_table(rows: List[Tuple[str, str, Dict[str, Optional[float]]]]) -> None:
    """Print times in ms and the ratios numpy / PyTorch and loop reference / numpy."""
    header = ("layer", "dtype", "loop ref ms", "Conv2d ms", "torch ms", "Conv2d/torch", "loop/Conv2d",
              "Conv2d no-dx ms", "torch no-dx ms", "no-dx Conv2d/torch")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for name, dtype_name, r in rows:
        cells = (name, dtype_name, fmt_ms(r["loop"]), fmt_ms(r["numpy"]), fmt_ms(r["torch"]),
                 fmt_ratio(r["numpy"], r["torch"]), fmt_ratio(r["loop"], r["numpy"]), fmt_ms(r["numpy no dx"]),
                 fmt_ms(r["torch no dx"]), fmt_ratio(r["numpy no dx"], r["torch no dx"]))
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    """Parse the options, run every layer in float64 and float32, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=200, help="timed steps per course layer (default 200)")
    parser.add_argument("--heavy-reps", type=int, default=10, help="timed steps for the heavy layer (default 10)")
    parser.add_argument("--loop-reps", type=int, default=3, help="timed steps of the loop reference (default 3)")
    parser.add_argument("--loop-heavy", action="store_true", help="also time the loop reference on the heavy layer")
    parser.add_argument("--layers", nargs="+", default=DEFAULT_LAYERS, choices=list(LAYERS),
                        help=f"layers to time (default {' '.join(DEFAULT_LAYERS)})")
    parser.add_argument("--torch-threads", type=int, default=TORCH_THREADS,
                        help=f"PyTorch intra-op threads (default {TORCH_THREADS})")
    parser.add_argument("--alternatives", action="store_true",
                        help="time the design alternatives of the building blocks instead (course layers)")
    parser.add_argument("--pipeline", type=int, default=0, metavar="STEPS",
                        help="time STEPS training steps of the course model with each product policy "
                             "instead (3 alternating rounds)")
    parser.add_argument("--products", type=int, default=0, metavar="ROUNDS",
                        help="time every layer in --layers with Conv2d's products stacked over output rows, as one "
                             "product and chosen by size (the library's rule) instead, ROUNDS alternating rounds")
    parser.add_argument("--against", type=Path, default=None, metavar="DIR",
                        help="time every layer in --layers here and in the checkout DIR (e.g. a worktree of an "
                             "earlier commit) instead, step by step alternating; print the median ratio")
    args = parser.parse_args()
    keep_freed_memory()  # as run_strong_conv_experiment.py does: freed memory reused, not fresh pages
    if args.against:
        print_against(args.against, args.layers, args.heavy_reps if "heavy" in args.layers else args.reps)
        return
    if args.products:
        print_products(args.layers, args.heavy_reps if "heavy" in args.layers else args.reps, args.products)
        return
    if args.pipeline:
        print_pipeline(args.pipeline, 3)
        return
    if args.alternatives:
        print_alternatives([name for name in args.layers if name != "heavy"], args.reps)
        return
    try:
        import torch
        torch_info = f"torch {torch.__version__}, {args.torch_threads} threads"
    except ImportError:
        torch_info = "torch not importable: PyTorch columns empty"
    blas_env = {k: v for k, v in os.environ.items() if k.endswith("_NUM_THREADS")}
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {torch_info}, "
          f"thread settings in the environment: {blas_env or 'none'}")
    # All numpy timings first, then all PyTorch timings: PyTorch's OpenMP threads and numpy's BLAS
    # threads spin-wait after each call, and interleaving the two on 2 cores made both erratic.
    runs = [(name, dtype_name, dtype) for dtype_name, dtype in (("float64", np.float64), ("float32", np.float32))
            for name in args.layers]
    rows = []
    for name, dtype_name, dtype in runs:
        heavy = name == "heavy"
        with_loop = dtype == np.float64 and (name.startswith("course") or heavy and args.loop_heavy)
        rows.append((name, dtype_name, bench_numpy(name, dtype, args.heavy_reps if heavy else args.reps,
                                                   args.loop_reps, with_loop)))
    for (name, _, dtype), (_, _, result) in zip(runs, rows):
        result.update(bench_torch(name, dtype, args.heavy_reps if name == "heavy" else args.reps, args.torch_threads))
    print_table(rows)


if __name__ == "__main__":
    main()
