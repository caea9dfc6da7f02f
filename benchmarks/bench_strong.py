"""Benchmark: the strong CNN's default run in numpy (this library) against the same recipe in PyTorch CPU.

Ours: `run_strong_conv_experiment()` with its defaults (lib/studies/strong_cnn.py), timed from before
the data is loaded to the end (test accuracy, model and curves saved included), and as a whole process.
PyTorch: the same recipe written the usual way (`nn.Conv2d`, ..., `torch.optim.Adam`, `LambdaLR` with
the same per-step factor), from the same initial weights, on the same data in the same shuffled order
(the same `np.random.shuffle` calls), float32, 2 threads, evaluating in chunks of `EVAL_CHUNK_SIZE`
after every epoch; its clock starts before the data is loaded and stops at the end of the first epoch
whose validation accuracy reaches 0.990. Both keep freed memory for reuse (lib/cli/allocator.py).
Each run is a process of its own, ours and PyTorch's alternating; every run, the medians, the load
and the ratio ours / PyTorch (target <= 1.0) are printed. Run from the repository root:

    python -m benchmarks.bench_strong --torch-python .venv-torch/bin/python [--repeats 3] [--seed 0]
    python -m benchmarks.bench_strong --seeds 0 1 2       (our accuracies over seeds, every seed)
    python -m benchmarks.bench_strong --profile           (one run of ours under cProfile)
    python -m benchmarks.bench_strong --against DIR --repeats 3   (the whole `python
        run_strong_conv_experiment.py` of this checkout and of the checkout DIR, alternating)
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Optional

import numpy as np

from benchmarks.common import (TORCH_THREADS, compare_script_runs, load_average, run_child, torch_epoch,
                               torch_evaluate, torch_twin)
from lib.cli.allocator import keep_freed_memory
from lib.model_evaluation import EVAL_CHUNK_SIZE
from lib.studies import strong_cnn as strong
from lib.studies.schedulers import stable_then_linear_decay

TARGET = 0.990


def run_ours(seed: int) -> Dict:
    """One default run of ours in a temporary directory; timed from before data loading."""
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # the run saves into results/ of the working directory
        start = time.perf_counter()
        try:
            run = strong.run_strong_conv_experiment(seed=seed, progress=False, show=False)
        finally:
            os.chdir(cwd)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "accuracies": [float(a) for a in run.results[3]],
            "test_accuracy": float(run.test_accuracy)}


def run_torch(seed: int) -> Dict:
    """The same recipe in PyTorch; the clock starts before data loading and stops at the target."""
    import torch
    from torch import nn
    torch.set_num_threads(TORCH_THREADS)
    np.random.seed(seed)  # our initial weights, then our shuffles, from the same stream
    model, loss_fn = torch_twin(strong.create_strong_cnn(), torch.float32), nn.CrossEntropyLoss()
    start = time.perf_counter()
    x_train, x_val, _, y_train, y_val, _ = strong.load_mnist_data()
    x_train_t, x_val_t = torch.from_numpy(x_train), torch.from_numpy(x_val)
    y_train_t, y_val_t = torch.from_numpy(y_train.argmax(axis=1)), torch.from_numpy(y_val.argmax(axis=1))
    steps = strong.total_steps(len(x_train), strong.NUM_EPOCHS)
    optimizer = torch.optim.Adam(model.parameters(), lr=strong.PEAK_LR)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: stable_then_linear_decay(step, steps, strong.DECAY_FRACTION))
    idx = np.arange(len(x_train))
    accuracies = []
    for _ in range(strong.NUM_EPOCHS):
        torch_epoch(model, loss_fn, optimizer, x_train_t, y_train_t, idx, strong.BATCH_SIZE, scheduler)
        accuracy, cost = torch_evaluate(model, loss_fn, x_val_t, y_val_t, strong.BATCH_SIZE, EVAL_CHUNK_SIZE)
        accuracies.append(accuracy)
        print(f"  torch epoch {len(accuracies)}: eval accuracy {accuracy:.4f}, eval cost {cost:.4f}", file=sys.stderr)
        if accuracy >= TARGET:
            break
    return {"seconds": time.perf_counter() - start, "accuracies": accuracies, "reached": accuracies[-1] >= TARGET}


def child(python: str, kind: str, seed: int, env: Optional[Dict] = None) -> Dict:
    """One run of ours or PyTorch's in a fresh process (`run_child`)."""
    return run_child(python, "benchmarks.bench_strong", ["--child", kind, "--seed", str(seed)], env)


def fmt_run(result: Dict) -> str:
    accuracies = " ".join(f"{a:.4f}" for a in result["accuracies"])
    test = f", test {result['test_accuracy']:.4f}" if "test_accuracy" in result else ""
    return (f"{result['seconds']:6.2f} s (process {result['process_seconds']:6.2f} s), "
            f"val accuracy per epoch [{accuracies}]{test}")


def compare(args) -> None:
    """Alternate our runs and PyTorch's; print every run, the medians and the ratio."""
    torch_env = dict(os.environ, OPENBLAS_NUM_THREADS="1")  # numpy only loads the data there
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs, seed {args.seed}, {load_average()} at the start")
    ours, theirs = [], []
    for repeat in range(args.repeats):
        ours.append(child(sys.executable, "ours", args.seed))
        print(f"ours  #{repeat + 1}: {fmt_run(ours[-1])}   [{load_average()}]", flush=True)
        if args.torch_python:
            theirs.append(child(args.torch_python, "torch", args.seed, torch_env))
            print(f"torch #{repeat + 1}: {fmt_run(theirs[-1])}   [{load_average()}]", flush=True)
    ours_s = float(np.median([r["seconds"] for r in ours]))
    ours_process = float(np.median([r["process_seconds"] for r in ours]))
    print(f"\nours, median of {len(ours)}: {ours_s:.2f} s from data loading to the end "
          f"(whole process {ours_process:.2f} s); {load_average()} at the end")
    reached = [r["seconds"] for r in theirs if r["reached"]]
    if theirs and not reached:
        print(f"PyTorch never reached {TARGET} in the recipe's epochs: no ratio")
    elif reached:
        torch_s = float(np.median(reached))
        print(f"PyTorch CPU ({TORCH_THREADS} threads), median of {len(reached)}: {torch_s:.2f} s "
              f"from data loading to validation accuracy {TARGET}")
        print(f"ratio ours / PyTorch: {ours_s / torch_s:.2f} (whole process of ours: {ours_process / torch_s:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0, help="seed of the timed runs (default 0)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side, alternating (default 3)")
    parser.add_argument("--torch-python", default=None, help="interpreter with torch (default: none, ours only)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--seeds", type=int, nargs="+", default=None,
                      help="instead: one run of ours per seed, accuracies of every seed and their mean")
    mode.add_argument("--profile", type=int, nargs="?", const=25, default=0, metavar="N",
                      help="instead: one run of ours under cProfile, the N functions with the most own time")
    mode.add_argument("--against", type=Path, default=None, metavar="DIR",
                      help="instead: run_strong_conv_experiment.py here and in the checkout DIR, alternating")
    mode.add_argument("--child", choices=("ours", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    keep_freed_memory()  # as our script does; in the PyTorch child too, so both sides allocate alike
    if args.child:
        print(json.dumps(run_ours(args.seed) if args.child == "ours" else run_torch(args.seed)))
    elif args.against:
        compare_script_runs("run_strong_conv_experiment.py", args.against, args.repeats, ["--seed", str(args.seed)])
    elif args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(run_ours, args.seed)
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(args.profile)
        print("Per layer kind, time inside forward / backward / backward_params (cumulative):")
        stats.sort_stats("cumulative").print_stats(r"lib/(convolutions|pooling|normalization|activations|network)"
                                                   r"\.py:\d+\((forward|backward|backward_params)\)")
    elif args.seeds:
        runs = []
        for seed in args.seeds:
            runs.append(child(sys.executable, "ours", seed))
            print(f"seed {seed}: {fmt_run(runs[-1])}   [{load_average()}]", flush=True)
        finals = [r["accuracies"][-1] for r in runs]
        print(f"final validation accuracy per seed {[round(a, 4) for a in finals]}: mean {np.mean(finals):.4f}, "
              f"min {min(finals):.4f}")
    else:
        compare(args)


if __name__ == "__main__":
    main()
