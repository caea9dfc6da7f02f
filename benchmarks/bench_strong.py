"""Benchmark: the strong CNN's default run in numpy (this library) against the same recipe in PyTorch CPU.

Ours: `run_strong_conv_experiment()` with its defaults (`lib/studies/strong_cnn.py`: 2 epochs over the
50,000 training images, batch 125, Adam with the stable-then-linear-decay schedule, float32,
evaluation on the 10,000 validation images after every epoch, the test accuracy at the end, model
and curves saved), timed from before the data is loaded to the end; the whole process (interpreter
start and imports included) is timed as well.

PyTorch: the same recipe written the usual way (`nn.Conv2d`, `nn.MaxPool2d`, `nn.BatchNorm2d`,
`nn.ReLU`, `nn.Linear`, `torch.optim.Adam`, `LambdaLR` with the same per-step factor), from the same
initial weights (our model built from the same seed, copied), on the same data in the same shuffled
order (the same `np.random.shuffle` calls), float32, `torch.set_num_threads(2)`, evaluating in
chunks of `EVAL_CHUNK_SIZE` (as ours) after every epoch. Its clock also starts before the data is
loaded, and stops at the end of the first epoch whose validation accuracy reaches the target
(0.990); it keeps training to the end of the recipe only to report every epoch's accuracy. Both
processes keep freed memory for reuse (`lib/cli/allocator.py`), as `run_strong_conv_experiment.py` does.

Each run happens in its own process, ours and PyTorch's alternating, so that a busy moment of the
machine hits both alike; medians are reported with every single run, the load average before and
after, and the ratio ours / PyTorch (target <= 1.0). Run from the repository root:

    python benchmarks/bench_strong.py --torch-python .venv-torch/bin/python [--repeats 3] [--seed 0]
    python benchmarks/bench_strong.py --seeds 0 1 2 --no-torch     (our accuracy over seeds, every seed)
    python benchmarks/bench_strong.py --profile                     (one run of ours under cProfile)
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from lib.studies import strong_cnn as strong  # noqa: E402  (after the path set-up above)
from lib.cli.allocator import keep_freed_memory  # noqa: E402
from lib.model_evaluation import EVAL_CHUNK_SIZE  # noqa: E402
from lib.studies.schedulers import stable_then_linear_decay  # noqa: E402
from benchmarks.torch_loop import torch_epoch, torch_evaluate  # noqa: E402

TARGET = 0.990
TORCH_THREADS = 2


class EpochClock:
    """A stdout wrapper that notes the time of every "  Eval Accuracy:" line `train` prints."""

    def __init__(self, stream, start: float):
        self.stream, self.start, self.times, self._line = stream, start, [], ""

    def write(self, text: str) -> int:
        self._line += text
        while "\n" in self._line:
            line, self._line = self._line.split("\n", 1)
            if line.startswith("  Eval Accuracy:"):
                self.times.append(time.perf_counter() - self.start)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


def run_ours(seed: int) -> Dict:
    """One default run of ours in a temporary directory; times from before data loading."""
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        start = time.perf_counter()
        clock = EpochClock(sys.stdout, start)
        sys.stdout = clock
        try:
            run = strong.run_strong_conv_experiment(seed=seed, progress=False, show=False)
        finally:
            sys.stdout = clock.stream
            os.chdir(cwd)
        seconds = time.perf_counter() - start
    accuracies = [float(a) for a in run.results[3]]
    return {"seconds": seconds, "epoch_seconds": clock.times, "accuracies": accuracies,
            "test_accuracy": float(run.test_accuracy), "seconds_to_target": _time_to_target(clock.times, accuracies)}


def _time_to_target(times: List[float], accuracies: List[float]) -> Optional[float]:
    return next((t for t, a in zip(times, accuracies) if a >= TARGET), None)


def torch_model(reference):
    """The PyTorch twin of `reference` (our strong CNN), with its initial weights copied."""
    import torch
    from torch import nn
    layers = []
    for layer in reference.modules:
        kind = type(layer).__name__
        if kind == "Conv2d":
            twin = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride, layer.pad,
                             bias=layer.b is not None)
            with torch.no_grad():
                twin.weight.copy_(torch.from_numpy(layer.W.data))
                if layer.b is not None:
                    twin.bias.copy_(torch.from_numpy(layer.b.data.reshape(-1)))
        elif kind == "MaxPool2d":
            twin = nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding)
        elif kind == "BatchNorm2d":
            twin = nn.BatchNorm2d(layer.num_features, eps=layer.eps, momentum=layer.momentum)
        elif kind == "ReLU":
            twin = nn.ReLU()
        elif kind == "Flatten":
            twin = nn.Flatten()
        elif kind == "Linear":
            twin = nn.Linear(*layer.W.data.shape)
            with torch.no_grad():
                twin.weight.copy_(torch.from_numpy(layer.W.data.T))  # ours computes x @ W, torch x @ W.T
                twin.bias.copy_(torch.from_numpy(layer.b.data))
        else:
            raise ValueError(f"no PyTorch twin for {kind}")
        layers.append(twin)
    return nn.Sequential(*layers).float()


def run_torch(seed: int, threads: int, full: bool, channels_last: bool = False) -> Dict:
    """The same recipe in PyTorch; the clock starts before data loading and stops at the target.

    `channels_last` stores the model and every batch in PyTorch's NHWC memory format (an
    optimisation, not the default way of writing it; reported separately).
    """
    import torch
    from torch import nn
    torch.set_num_threads(threads)
    np.random.seed(seed)  # our initial weights, then our shuffles, from the same stream
    model = torch_model(strong.create_strong_cnn())
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    loss_fn = nn.CrossEntropyLoss()
    batch, epochs = strong.BATCH_SIZE, strong.NUM_EPOCHS

    start = time.perf_counter()
    x_train, x_val, _, y_train, y_val, _ = strong.load_mnist_data()
    x_train_t = torch.from_numpy(x_train).contiguous(memory_format=memory_format)
    x_val_t = torch.from_numpy(x_val).contiguous(memory_format=memory_format)
    y_train_t, y_val_t = torch.from_numpy(y_train.argmax(axis=1)), torch.from_numpy(y_val.argmax(axis=1))
    steps = strong.total_steps(len(x_train), epochs)
    optimizer = torch.optim.Adam(model.parameters(), lr=strong.PEAK_LR)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: stable_then_linear_decay(step, steps, strong.DECAY_FRACTION))
    idx = np.arange(len(x_train))
    times, accuracies = [], []
    for _ in range(epochs):
        torch_epoch(model, loss_fn, optimizer, x_train_t, y_train_t, idx, batch, scheduler, memory_format)
        accuracy, cost = torch_evaluate(model, loss_fn, x_val_t, y_val_t, batch, EVAL_CHUNK_SIZE)
        accuracies.append(accuracy)
        times.append(time.perf_counter() - start)
        print(f"  torch epoch {len(times)}: eval accuracy {accuracies[-1]:.4f}, eval cost {cost:.4f}, "
              f"{times[-1]:.2f} s", file=sys.stderr)
        if accuracies[-1] >= TARGET and not full:
            break
    to_target = _time_to_target(times, accuracies)
    return {"seconds": times[-1] if to_target is None else to_target, "epoch_seconds": times,
            "accuracies": accuracies, "seconds_to_target": to_target}


def child(python: str, kind: str, seed: int, threads: int, env: Optional[Dict] = None,
          extra: Sequence[str] = ()) -> Dict:
    """Run one timing in a fresh process; add its whole wall time (start-up and imports included)."""
    command = [python, __file__, "--child", kind, "--seed", str(seed), "--torch-threads", str(threads), *extra]
    start = time.perf_counter()
    completed = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True)
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - start
    return result


def fmt_run(result: Dict) -> str:
    accuracies = " ".join(f"{a:.4f}" for a in result["accuracies"])
    epochs = " ".join(f"{t:.1f}" for t in result["epoch_seconds"])
    to_target = result["seconds_to_target"]
    return (f"{result['seconds']:6.2f} s (process {result['process_seconds']:6.2f} s), to {TARGET}: "
            f"{'never' if to_target is None else f'{to_target:.2f} s'}, epochs end at [{epochs}] s, "
            f"val accuracy per epoch [{accuracies}]" + (f", test {result['test_accuracy']:.4f}"
                                                        if "test_accuracy" in result else ""))


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def compare(args) -> None:
    """Alternate our runs and PyTorch's; print every run, the medians and the ratio."""
    torch_env = dict(os.environ, OPENBLAS_NUM_THREADS="1")  # numpy only loads the data there
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs, seed {args.seed}, {load()} at the start")
    ours, theirs = [], []
    for repeat in range(args.repeats):
        ours.append(child(sys.executable, "ours", args.seed, args.torch_threads))
        print(f"ours  #{repeat + 1}: {fmt_run(ours[-1])}   [{load()}]", flush=True)
        if args.torch_python:
            kind = "torch-full" if args.torch_full else "torch"
            extra = ["--torch-channels-last"] if args.torch_channels_last else []
            theirs.append(child(args.torch_python, kind, args.seed, args.torch_threads, torch_env, extra))
            print(f"torch #{repeat + 1}: {fmt_run(theirs[-1])}   [{load()}]", flush=True)
    ours_s = float(np.median([r["seconds"] for r in ours]))
    ours_process = float(np.median([r["process_seconds"] for r in ours]))
    print(f"\nours, median of {len(ours)}: {ours_s:.2f} s from data loading to the end "
          f"(whole process {ours_process:.2f} s); {load()} at the end")
    if not theirs:
        return
    reached = [r["seconds_to_target"] for r in theirs if r["seconds_to_target"] is not None]
    if not reached:
        print(f"PyTorch never reached {TARGET} in the recipe's epochs: no ratio")
        return
    torch_s = float(np.median(reached))
    layout = ", channels_last" if args.torch_channels_last else ""
    print(f"PyTorch CPU ({args.torch_threads} threads{layout}), median of {len(reached)}: {torch_s:.2f} s "
          f"from data loading to validation accuracy {TARGET}")
    print(f"ratio ours / PyTorch: {ours_s / torch_s:.2f} (whole process of ours: {ours_process / torch_s:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0, help="seed of the timed runs (default 0)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side, alternating (default 3)")
    parser.add_argument("--torch-python", default=None, help="interpreter with torch (default: none, ours only)")
    parser.add_argument("--torch-threads", type=int, default=TORCH_THREADS, help="PyTorch intra-op threads")
    parser.add_argument("--torch-channels-last", action="store_true",
                        help="PyTorch in its channels_last (NHWC) memory format, an optimisation beyond the default")
    parser.add_argument("--torch-full", action="store_true",
                        help="let PyTorch finish the recipe after reaching the target (its time still stops there)")
    parser.add_argument("--seeds", type=int, nargs="+", default=None,
                        help="instead: one run of ours per seed, accuracies of every seed and their mean")
    parser.add_argument("--profile", type=int, nargs="?", const=25, default=0, metavar="N",
                        help="instead: one run of ours under cProfile, the N functions with the most own time")
    parser.add_argument("--child", choices=("ours", "torch", "torch-full"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    keep_freed_memory()  # as our script does; in the PyTorch child too, so both sides allocate alike
    if args.child:
        result = run_ours(args.seed) if args.child == "ours" else run_torch(
            args.seed, args.torch_threads, args.child == "torch-full", args.torch_channels_last)
        print(json.dumps(result))
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
            runs.append(child(sys.executable, "ours", seed, args.torch_threads))
            print(f"seed {seed}: {fmt_run(runs[-1])}   [{load()}]", flush=True)
        finals = [r["accuracies"][-1] for r in runs]
        print(f"final validation accuracy per seed {[round(a, 4) for a in finals]}: mean {np.mean(finals):.4f}, "
              f"min {min(finals):.4f}")
    else:
        compare(args)


if __name__ == "__main__":
    main()
