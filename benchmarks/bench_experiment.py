"""Benchmark: the course's default CNN experiment in numpy (this library) against the same in PyTorch CPU.

Times `run_conv_experiment()` with its defaults (10 epochs, 10,000 training and 10,000 validation
images, batch 50, SGD lr 0.01 momentum 0.9, evaluation after every epoch), data loading included.
When torch is importable (or `--torch-python` names an interpreter that has it), it also trains the
same model from the same initial weights on the same data in the same shuffled order in PyTorch
(2 threads). Each run is a process of its own, the sides alternating; prints every run, the best
of each side, their ratio (target numpy <= 1.2x PyTorch) and the final validation accuracies.

    python -m benchmarks.bench_experiment [--dtype float32] [--repeats 1] [--torch-python PATH]
    python -m benchmarks.bench_experiment --profile   (one numpy run under cProfile, the top functions)
    python -m benchmarks.bench_experiment --seeds 0 1 2 3 4 [--json PATH]   (the final validation
        accuracy of every seed, never a picked one; mean, min and max, also into a JSON file)
    python -m benchmarks.bench_experiment --against DIR --repeats 3   (the whole `python
        run_conv_experiment.py` of this checkout and of the checkout DIR, alternating)
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import (TORCH_THREADS, alternate_children, compare_script_runs, load_average, make_parser,
                               print_profile, print_seeds, torch_training, torch_twin)
from lib import experiments
from lib.cli.options import DTYPES
from lib.utilities import atomic_write


def run_ours(dtype, seed: int) -> dict:
    """The default experiment once, in a temporary directory: {"seconds", "accuracies" (validation, per epoch)}."""
    with tempfile.TemporaryDirectory() as tmp:  # the saved model lands there, not in results/
        start = time.perf_counter()
        results = experiments.run_conv_experiment(seed=seed, dtype=dtype, progress=False, out_dir=Path(tmp))
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "accuracies": [float(a) for a in results[3]]}


def run_torch(dtype, seed: int) -> dict:
    """The same experiment in PyTorch: {"seconds", "accuracies"}."""
    import torch
    np.random.seed(seed)  # the numpy run's initial weights, then its shuffles, from the same stream
    model = torch_twin(experiments.create_conv_model(), dtype)
    # torch's momentum v = m v + g, p -= lr v is ours (v' = m v' - lr g, p += v') with v' = -lr v.
    optimizer = torch.optim.SGD(model.parameters(), lr=experiments.CONV_LR, momentum=experiments.MOMENTUM)
    return torch_training(model, optimizer, lambda: experiments.load_mnist_data_subset(10000), dtype,
                          experiments.BATCH_SIZE, experiments.NUM_EPOCHS)


def compare_with_torch(dtype_name: str, repeats: int, torch_python) -> None:
    """Alternate our runs and PyTorch's (when some interpreter has torch); print the best of each side."""
    if torch_python is None and importlib.util.find_spec("torch") is not None:
        torch_python = sys.executable
    ours, theirs = alternate_children("benchmarks.bench_experiment", ["--dtype", dtype_name], repeats, torch_python)
    best = min(ours, key=lambda run: run["seconds"])
    print(f"\ndtype {dtype_name}, best of {repeats}, numpy {np.__version__}, "
          f"{load_average()} on {os.cpu_count()} CPUs (other work slows both)")
    print(f"numpy (lib):  {best['seconds']:7.2f} s   final val accuracy {best['accuracies'][-1]:.4f}")
    if not theirs:
        print("PyTorch: not importable here; add --torch-python .venv-torch/bin/python for the comparison")
        return
    best_torch = min(theirs, key=lambda run: run["seconds"])
    print(f"PyTorch CPU:  {best_torch['seconds']:7.2f} s   final val accuracy {best_torch['accuracies'][-1]:.4f}"
          f"   ({TORCH_THREADS} threads, {torch_python})")
    print(f"ratio numpy / PyTorch: {best['seconds'] / best_torch['seconds']:.2f}")


def main():
    parser = make_parser(__doc__)
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="float64")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each; the fastest is reported")
    parser.add_argument("--torch-python", default=None,
                        help="interpreter with torch for the PyTorch runs (default: this one, if it has torch)")
    parser.add_argument("--json", type=Path, default=None, help="with --seeds: also write the numbers to this file")
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)  # of a child's run
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--profile", type=int, nargs="?", const=15, default=0, metavar="N",
                      help="instead: one numpy run under cProfile, the N functions with the most own time")
    mode.add_argument("--seeds", type=int, nargs="+", default=None, help="instead: one run of ours per seed")
    mode.add_argument("--against", type=Path, default=None, metavar="DIR", help="instead: paired against DIR")
    mode.add_argument("--child", choices=("ours", "torch"), help=argparse.SUPPRESS)  # one run, a JSON line
    args = parser.parse_args()
    dtype = DTYPES[args.dtype]
    if args.child:
        print(json.dumps((run_ours if args.child == "ours" else run_torch)(dtype, args.seed)))
    elif args.against:
        compare_script_runs("run_conv_experiment.py", args.against, args.repeats, ["--dtype", args.dtype])
    elif args.profile:
        print_profile(lambda: run_ours(dtype, args.seed), args.profile)
    elif args.seeds:
        finals = print_seeds("benchmarks.bench_experiment", args.seeds, ["--dtype", args.dtype])
        summary = {"final_val_accuracy_by_seed": finals, "mean": float(np.mean(list(finals.values()))),
                   "min": min(finals.values()), "max": max(finals.values()), "dtype": args.dtype,
                   "max_datapoints": 10000,
                   "command": " ".join(["python -m benchmarks.bench_experiment", *sys.argv[1:]])}
        if args.json is not None:
            atomic_write(args.json, lambda f: f.write((json.dumps(summary, indent=2) + "\n").encode("utf-8")))
            print(f"Wrote {args.json}")
    else:
        compare_with_torch(args.dtype, args.repeats, args.torch_python)


if __name__ == '__main__':
    main()
