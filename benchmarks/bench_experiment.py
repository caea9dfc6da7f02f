"""Benchmark: the course's default CNN experiment in numpy (this library) against the same in PyTorch CPU.

Times `run_conv_experiment()` with its defaults (10 epochs, 10,000 training and 10,000 validation
images, batch 50, SGD lr 0.01 momentum 0.9, evaluation after every epoch), data loading included.
When torch is importable (or `--torch-python` names an interpreter that has it), it then trains the
same model from the same initial weights, on the same data in the same shuffled order, with the same
hyperparameters, in PyTorch on the CPU with 2 threads, in a process of its own (with
OPENBLAS_NUM_THREADS=1 there; `benchmarks.common.run_child` says why), data loading and evaluation
inside the timed region. Prints both times (best of `--repeats`, alternating), their ratio (target
numpy <= 1.2x PyTorch) and both final validation accuracies. Run from the repository root:

    python -m benchmarks.bench_experiment [--dtype float32] [--repeats 1] [--torch-python PATH]
    python -m benchmarks.bench_experiment --profile   (one numpy run under cProfile, the top functions)
    python -m benchmarks.bench_experiment --against DIR --repeats 3   (the whole `python
        run_conv_experiment.py` of this checkout and of the checkout DIR, alternating)
"""
from __future__ import annotations

import argparse
import cProfile
import importlib.util
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import (TORCH_THREADS, compare_script_runs, load_average, run_child, torch_epoch,
                               torch_evaluate, torch_twin)
from lib import experiments
from lib.cli.options import DTYPES
from lib.model_evaluation import EVAL_CHUNK_SIZE

SEED = 0


def time_numpy(dtype) -> tuple:
    """Run the default experiment once in a temporary directory; return (seconds, final val accuracy)."""
    with tempfile.TemporaryDirectory() as tmp:  # the saved model lands there, not in results/
        start = time.perf_counter()
        results = experiments.run_conv_experiment(seed=SEED, dtype=dtype, progress=False, out_dir=Path(tmp))
        seconds = time.perf_counter() - start
    return seconds, float(results[3][-1])


def time_torch(dtype) -> dict:
    """The same experiment in PyTorch with TORCH_THREADS threads: {"seconds", "accuracy" (final validation)}.

    Its progress lines go to stderr, so that stdout carries only the result line of `--child`.
    """
    import torch
    from torch import nn
    torch.set_num_threads(TORCH_THREADS)
    np.random.seed(SEED)  # the numpy run's initial weights, then its shuffles, from the same stream
    model = torch_twin(experiments.create_conv_model(), {np.float64: torch.float64, np.float32: torch.float32}[dtype])
    # torch's momentum v = m v + g, p -= lr v is ours (v' = m v' - lr g, p += v') with v' = -lr v.
    optimizer = torch.optim.SGD(model.parameters(), lr=experiments.CONV_LR, momentum=experiments.MOMENTUM)
    loss_fn, batch = nn.CrossEntropyLoss(), experiments.BATCH_SIZE
    start = time.perf_counter()
    x_train, x_val, _, y_train, y_val, _ = experiments.load_mnist_data_subset(10000)
    x_train_t, x_val_t = (torch.from_numpy(np.asarray(x, dtype=dtype)) for x in (x_train, x_val))
    y_train_t, y_val_t = torch.from_numpy(y_train.argmax(axis=1)), torch.from_numpy(y_val.argmax(axis=1))
    idx = np.arange(len(x_train))
    for epoch in range(experiments.NUM_EPOCHS):
        torch_epoch(model, loss_fn, optimizer, x_train_t, y_train_t, idx, batch)
        accuracy, cost = torch_evaluate(model, loss_fn, x_val_t, y_val_t, batch, EVAL_CHUNK_SIZE)  # as `evaluate`
        print(f"  torch epoch {epoch + 1}: eval accuracy {accuracy:.4f}, eval cost {cost:.4f}", file=sys.stderr)
    return {"seconds": time.perf_counter() - start, "accuracy": accuracy}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="float64")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each; the fastest is reported")
    parser.add_argument("--torch-python", default=None,
                        help="interpreter with torch for the PyTorch runs (default: this one, if it has torch)")
    parser.add_argument("--profile", type=int, nargs="?", const=15, default=0, metavar="N",
                        help="profile one numpy run instead and print the N functions with the most own time")
    parser.add_argument("--against", type=Path, default=None, metavar="DIR",
                        help="instead: run_conv_experiment.py here and in the checkout DIR, alternating")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)  # one PyTorch run
    args = parser.parse_args()
    dtype = DTYPES[args.dtype]
    if args.against:
        compare_script_runs("run_conv_experiment.py", args.against, args.repeats, ["--dtype", args.dtype])
        return
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(time_numpy, dtype)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)
        return
    if args.child:
        print(json.dumps(time_torch(dtype)))
        return
    torch_python = args.torch_python
    if torch_python is None and importlib.util.find_spec("torch") is not None:
        torch_python = sys.executable
    numpy_runs, torch_runs = [], []
    torch_env = dict(os.environ, OPENBLAS_NUM_THREADS="1")  # numpy only loads data there
    for _ in range(args.repeats):  # alternate, so that a busy moment of the machine hits both alike
        numpy_runs.append(time_numpy(dtype))
        if torch_python is not None:
            run = run_child(torch_python, "benchmarks.bench_experiment", ["--child", "--dtype", args.dtype], torch_env)
            torch_runs.append((run["seconds"], run["accuracy"]))
    numpy_seconds, numpy_accuracy = min(numpy_runs)

    print(f"\ndtype {args.dtype}, best of {args.repeats}, numpy {np.__version__}, "
          f"{load_average()} on {os.cpu_count()} CPUs (other work slows both)")
    print(f"numpy (lib):  {numpy_seconds:7.2f} s   final val accuracy {numpy_accuracy:.4f}")
    print("numpy runs (s): " + ", ".join(f"{t:.2f}" for t, _ in numpy_runs))
    if torch_python is None:
        print("PyTorch: not importable here; add --torch-python .venv-torch/bin/python for the comparison")
        return
    print("PyTorch runs (s): " + ", ".join(f"{t:.2f}" for t, _ in torch_runs))
    torch_seconds, torch_accuracy = min(torch_runs)
    print(f"PyTorch CPU:  {torch_seconds:7.2f} s   final val accuracy {torch_accuracy:.4f}"
          f"   ({TORCH_THREADS} threads, {torch_python})")
    print(f"ratio numpy / PyTorch: {numpy_seconds / torch_seconds:.2f}")


if __name__ == '__main__':
    main()
