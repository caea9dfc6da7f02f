"""Measure the spread of the course CNN's final validation accuracy over seeds (never pick a seed).

Runs `run_conv_experiment` with its defaults for each seed (saving into a temporary directory, so the model
under results/ is not replaced), prints each final validation accuracy and their mean, minimum
and maximum, and writes them to a JSON file.

Run from the repository root:
    python -m benchmarks.measure_conv_seeds [--seeds 0 1 2 3 4] [--dtype float64] [--json PATH]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from lib import experiments
from lib.cli.options import DTYPES
from lib.utilities import atomic_write


def final_accuracy(seed: int, dtype, max_datapoints: int) -> float:
    """Run the default experiment once with `seed`, quietly; return the validation accuracy after the last epoch."""
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        results = experiments.run_conv_experiment(max_datapoints, seed=seed, dtype=dtype, progress=False,
                                                  out_dir=Path(tmp))
    return float(results[3][-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="float64")
    parser.add_argument("--max_datapoints", type=int, default=10000)
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers to this JSON file")
    args = parser.parse_args()

    accuracies = {}
    for seed in args.seeds:
        accuracies[str(seed)] = final_accuracy(seed, DTYPES[args.dtype], args.max_datapoints)
        print(f"seed {seed}: final val accuracy {accuracies[str(seed)]:.4f}", flush=True)
    values = np.array(list(accuracies.values()))
    summary = {"final_val_accuracy_by_seed": accuracies, "mean": float(values.mean()),
               "min": float(values.min()), "max": float(values.max()),
               "dtype": args.dtype, "max_datapoints": args.max_datapoints,
               "command": "python -m benchmarks.measure_conv_seeds " + " ".join(sys.argv[1:])}
    print(f"mean {summary['mean']:.4f}, min {summary['min']:.4f}, max {summary['max']:.4f}")
    if args.json is not None:
        atomic_write(args.json, lambda f: f.write((json.dumps(summary, indent=2) + "\n").encode("utf-8")))
        print(f"Wrote {args.json}")


if __name__ == '__main__':
    main()
