"""Benchmark: the course's default CNN experiment in numpy (this library) against the same in PyTorch CPU.

Times `run_conv_experiment()` with its defaults (10 epochs, 10,000 training and 10,000 validation
images, batch 50, SGD lr 0.01 momentum 0.9, evaluation after every epoch), data loading included.
When torch is importable (e.g. `.venv-torch/bin/python benchmarks/bench_experiment.py`), it then
trains the same model from the same initial weights, on the same data in the same shuffled order,
with the same batch size and hyperparameters, in PyTorch on the CPU with 2 threads, also loading the
data and evaluating after every epoch inside the timed region. It prints both times, their ratio and
both final validation accuracies. The target is numpy <= 1.2x PyTorch's time.

Each PyTorch run happens in its own process (`--torch-python`, default this interpreter, with
OPENBLAS_NUM_THREADS=1 there): in one process, numpy's OpenBLAS threads and torch's OpenMP threads
keep spinning after their own work and, on a 2-core machine, slow each other down up to tenfold.

Run from the repository root:
    python benchmarks/bench_experiment.py [--dtype float32] [--repeats 1] [--torch-python PATH]
    python benchmarks/bench_experiment.py --profile   (one numpy run under cProfile, the top functions)
"""
import argparse
import cProfile
import importlib.util
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lib import experiments  # noqa: E402  (after the path set-up above)
from lib.cli.options import DTYPES  # noqa: E402
from lib.model_evaluation import EVAL_CHUNK_SIZE  # noqa: E402
from benchmarks.torch_loop import torch_epoch, torch_evaluate  # noqa: E402
SEED = 0
TORCH_THREADS = 2


def time_numpy(dtype) -> tuple:
    """Run the default experiment once in a temporary directory; return (seconds, final val accuracy)."""
    with tempfile.TemporaryDirectory() as tmp:  # the saved model lands there, not in results/
        start = time.perf_counter()
        results = experiments.run_conv_experiment(seed=SEED, dtype=dtype, progress=False, out_dir=Path(tmp))
        seconds = time.perf_counter() - start
    return seconds, float(results[3][-1])


def time_torch(dtype, threads: int = TORCH_THREADS) -> tuple:
    """The same experiment in PyTorch with `threads` intra-op threads; return (seconds, final val accuracy).

    Its progress lines go to stderr, so that stdout carries only the result line of `--torch-only`.
    """
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    torch_dtype = {np.float64: torch.float64, np.float32: torch.float32}[dtype]
    np.random.seed(SEED)  # the numpy run's initial weights, then its shuffles, from the same stream
    reference = experiments.create_conv_model()
    conv1, _, conv2, _, _, linear = reference.modules

    model = nn.Sequential(nn.Conv2d(1, 5, 4, 2, 1), nn.ReLU(), nn.Conv2d(5, 10, 4, 2, 1), nn.ReLU(),
                          nn.Flatten(), nn.Linear(490, 10)).to(torch_dtype)
    with torch.no_grad():
        for torch_conv, conv in ((model[0], conv1), (model[2], conv2)):
            torch_conv.weight.copy_(torch.from_numpy(conv.W.data))
            torch_conv.bias.copy_(torch.from_numpy(conv.b.data.reshape(-1)))
        model[5].weight.copy_(torch.from_numpy(linear.W.data.T))  # ours computes x @ W, torch x @ W.T
        model[5].bias.copy_(torch.from_numpy(linear.b.data))
    # torch's momentum v = m v + g, p -= lr v is ours (v' = m v' - lr g, p += v') with v' = -lr v.
    optimizer = torch.optim.SGD(model.parameters(), lr=experiments.CONV_LR, momentum=experiments.MOMENTUM)
    loss_fn = nn.CrossEntropyLoss()
    batch = experiments.BATCH_SIZE

    start = time.perf_counter()
    x_train, x_val, _, y_train, y_val, _ = experiments.load_mnist_data_subset(10000)
    x_train_t = torch.from_numpy(np.asarray(x_train, dtype=dtype))
    x_val_t = torch.from_numpy(np.asarray(x_val, dtype=dtype))
    y_train_t = torch.from_numpy(y_train.argmax(axis=1))
    y_val_t = torch.from_numpy(y_val.argmax(axis=1))
    idx = np.arange(len(x_train))
    for epoch in range(experiments.NUM_EPOCHS):
        torch_epoch(model, loss_fn, optimizer, x_train_t, y_train_t, idx, batch)
        val_accuracy, cost = torch_evaluate(model, loss_fn, x_val_t, y_val_t, batch, EVAL_CHUNK_SIZE)  # as `evaluate`
        print(f"  torch epoch {epoch + 1}: eval accuracy {val_accuracy:.4f}, eval cost {cost:.4f}", file=sys.stderr)
    return time.perf_counter() - start, val_accuracy


def time_torch_in_subprocess(python: str, dtype_name: str, threads: int) -> tuple:
    """Run one PyTorch timing in a fresh process of `python`; return (seconds, final val accuracy)."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")  # numpy only loads data there
    completed = subprocess.run([python, __file__, "--torch-only", "--dtype", dtype_name,
                                "--torch-threads", str(threads)],
                               env=env, check=True, stdout=subprocess.PIPE, text=True)
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return result["seconds"], result["accuracy"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="float64")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each; the fastest is reported")
    parser.add_argument("--torch-threads", type=int, default=TORCH_THREADS, help="PyTorch intra-op threads (default 2)")
    parser.add_argument("--torch-python", default=None,
                        help="interpreter with torch for the PyTorch runs (default: this one, if it has torch)")
    parser.add_argument("--profile", type=int, nargs="?", const=15, default=0, metavar="N",
                        help="profile one numpy run instead and print the N functions with the most own time")
    parser.add_argument("--torch-only", action="store_true", help=argparse.SUPPRESS)  # the PyTorch side
    args = parser.parse_args()
    dtype = DTYPES[args.dtype]

    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(time_numpy, dtype)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)
        return
    if args.torch_only:
        seconds, accuracy = time_torch(dtype, args.torch_threads)
        print(json.dumps({"seconds": seconds, "accuracy": accuracy}))
        return
    torch_python = args.torch_python
    if torch_python is None and importlib.util.find_spec("torch") is not None:
        torch_python = sys.executable
    numpy_runs, torch_runs = [], []
    for _ in range(args.repeats):  # alternate, so that a busy moment of the machine hits both alike
        numpy_runs.append(time_numpy(dtype))
        if torch_python is not None:
            torch_runs.append(time_torch_in_subprocess(torch_python, args.dtype, args.torch_threads))
    numpy_seconds, numpy_accuracy = min(numpy_runs)

    print(f"\ndtype {args.dtype}, best of {args.repeats}, numpy {np.__version__}, "
          f"load average (1 min) {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (other work slows both)")
    print(f"numpy (lib):  {numpy_seconds:7.2f} s   final val accuracy {numpy_accuracy:.4f}")
    print("numpy runs (s): " + ", ".join(f"{t:.2f}" for t, _ in numpy_runs))
    if torch_python is None:
        print("PyTorch: not importable here; add --torch-python .venv-torch/bin/python for the comparison")
        return
    print("PyTorch runs (s): " + ", ".join(f"{t:.2f}" for t, _ in torch_runs))
    torch_seconds, torch_accuracy = min(torch_runs)
    print(f"PyTorch CPU:  {torch_seconds:7.2f} s   final val accuracy {torch_accuracy:.4f}"
          f"   ({args.torch_threads} threads, {torch_python})")
    print(f"ratio numpy / PyTorch: {numpy_seconds / torch_seconds:.2f}")


if __name__ == '__main__':
    main()
