"""Benchmark: the strong CNN's default run in numpy (this library) against the same recipe in PyTorch CPU.

Ours: `run_strong_conv_experiment()` with its defaults, timed from before the data is loaded to the
end (test accuracy, model and curves saved), and as a whole process. PyTorch: the same recipe the
usual way (`nn.Conv2d`, ..., `Adam`, `LambdaLR` with the same per-step factor), same initial weights,
data and shuffles, float32, 2 threads; its clock stops after the first epoch at validation accuracy
0.990. Both keep freed memory (lib/cli/allocator.py). A process per run, the sides alternating;
prints every run, the medians, the load and the ratio ours / PyTorch (target <= 1.0).

    python -m benchmarks.bench_strong --torch-python .venv-torch/bin/python [--repeats 3] [--seed 0]
    python -m benchmarks.bench_strong --seeds 0 1 2       (our accuracies over seeds, every seed)
    python -m benchmarks.bench_strong --profile           (one run of ours under cProfile)
    python -m benchmarks.bench_strong --against DIR --repeats 3   (the whole `python
        run_strong_conv_experiment.py` of this checkout and of the checkout DIR, alternating)
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Dict, Optional

import numpy as np

from benchmarks.common import (TORCH_THREADS, alternate_children, compare_script_runs, load_average, make_parser,
                               print_profile, print_seeds, torch_training, torch_twin)
from lib.cli.allocator import keep_freed_memory
from lib.dataset_mnist import NUM_TRAIN
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
    np.random.seed(seed)  # our initial weights, then our shuffles, from the same stream
    model = torch_twin(strong.create_strong_cnn(), np.float32)
    steps = strong.total_steps(NUM_TRAIN, strong.NUM_EPOCHS)  # lib's training set: the first NUM_TRAIN images
    optimizer = torch.optim.Adam(model.parameters(), lr=strong.PEAK_LR)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: stable_then_linear_decay(step, steps, strong.DECAY_FRACTION))
    return torch_training(model, optimizer, strong.load_mnist_data, np.float32, strong.BATCH_SIZE,
                          strong.NUM_EPOCHS, scheduler, TARGET)


def compare(seed: int, repeats: int, torch_python: Optional[str]) -> None:
    """Alternate our runs and PyTorch's; print every run, the medians and the ratio."""
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs, seed {seed}, {load_average()} at the start")
    ours, theirs = alternate_children("benchmarks.bench_strong", ["--seed", str(seed)], repeats, torch_python)
    ours_s = float(np.median([r["seconds"] for r in ours]))
    ours_process = float(np.median([r["process_seconds"] for r in ours]))
    print(f"\nours, median of {len(ours)}: {ours_s:.2f} s from data loading to the end "
          f"(whole process {ours_process:.2f} s); {load_average()} at the end")
    reached = [r["seconds"] for r in theirs if r["accuracies"][-1] >= TARGET]
    if theirs and not reached:
        print(f"PyTorch never reached {TARGET} in the recipe's epochs: no ratio")
    elif reached:
        torch_s = float(np.median(reached))
        print(f"PyTorch CPU ({TORCH_THREADS} threads), median of {len(reached)}: {torch_s:.2f} s "
              f"from data loading to validation accuracy {TARGET}")
        print(f"ratio ours / PyTorch: {ours_s / torch_s:.2f} (whole process of ours: {ours_process / torch_s:.2f})")


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--seed", type=int, default=0, help="seed of the timed runs (default 0)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side, alternating (default 3)")
    parser.add_argument("--torch-python", default=None, help="interpreter with torch (default: none, ours only)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--seeds", type=int, nargs="+", default=None, help="instead: one run of ours per seed")
    mode.add_argument("--profile", type=int, nargs="?", const=25, default=0, metavar="N",
                      help="instead: one run of ours under cProfile, the N functions with the most own time")
    mode.add_argument("--against", type=Path, default=None, metavar="DIR", help="instead: paired against DIR")
    mode.add_argument("--child", choices=("ours", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    keep_freed_memory()  # as our script does; in the PyTorch child too, so both sides allocate alike
    if args.child:
        print(json.dumps(run_ours(args.seed) if args.child == "ours" else run_torch(args.seed)))
    elif args.against:
        compare_script_runs("run_strong_conv_experiment.py", args.against, args.repeats, ["--seed", str(args.seed)])
    elif args.profile:
        stats = print_profile(lambda: run_ours(args.seed), args.profile)
        print("Per layer kind, time inside forward / backward / backward_params (cumulative):")
        stats.sort_stats("cumulative").print_stats(r"lib/(convolutions|pooling|normalization|activations|network)"
                                                   r"\.py:\d+\((forward|backward|backward_params)\)")
    elif args.seeds:
        print_seeds("benchmarks.bench_strong", args.seeds)
    else:
        compare(args.seed, args.repeats, args.torch_python)


if __name__ == "__main__":
    main()
