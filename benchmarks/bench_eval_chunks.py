"""Benchmark: `evaluate` on the 10,000 validation images for several `EVAL_CHUNK_SIZE`s (images per forward).

Three freshly initialised models (seed 0): the course CNN and the max-pooling CNN in float64, the
strong CNN in float32; the sizes alternate within each round; medians over rounds. `--keep-freed-memory`
allocates as `run_strong_conv_experiment.py` does (lib/cli/allocator.py), otherwise as the course's
scripts do.

    python -m benchmarks.bench_eval_chunks [--rounds 3] [--sizes 125 250 500 1000] [--keep-freed-memory]
"""
from __future__ import annotations

import time

import numpy as np

from benchmarks.common import load_average, make_parser
from lib import experiments, model_evaluation, models
from lib.cli.allocator import keep_freed_memory
from lib.dataset_mnist import load_mnist_data
from lib.losses import CrossEntropyLoss
from lib.studies import strong_cnn

MODELS = (("course CNN, float64", experiments.create_conv_model, np.float64, 50),
          ("max-pooling CNN, float64", models.create_maxpool_cnn, np.float64, 50),
          ("strong CNN, float32", strong_cnn.create_strong_cnn, np.float32, strong_cnn.BATCH_SIZE))


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all sizes (default 3)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[125, 250, 500, 1000], help="chunk sizes to time")
    parser.add_argument("--keep-freed-memory", action="store_true", help="call keep_freed_memory first")
    args = parser.parse_args()
    kept = args.keep_freed_memory and keep_freed_memory()
    _, x_val, _, _, y_val, _ = load_mnist_data()
    print(f"numpy {np.__version__}, freed memory kept: {kept}, {load_average()} at the start")
    for name, build, dtype, batch_size in MODELS:
        np.random.seed(0)
        model = build().to(dtype).eval()
        x, y = x_val.astype(dtype), y_val.astype(dtype)
        seconds = {size: [] for size in args.sizes}
        for _ in range(args.rounds):
            for size in args.sizes:
                model_evaluation.EVAL_CHUNK_SIZE = size
                start = time.perf_counter()
                model_evaluation.evaluate(x, y, model, CrossEntropyLoss(), batch_size)
                seconds[size].append(time.perf_counter() - start)
        medians = ", ".join(f"{size}: {np.median(s):.3f} s" for size, s in seconds.items())
        print(f"{name} (batch {batch_size}), median of {args.rounds}: {medians}")
    print(f"{load_average()} at the end")


if __name__ == "__main__":
    main()
