"""What the benchmarks share: timing, paired ratios, another checkout's `lib`, child runs, PyTorch's side.

This machine's speed drifts from minute to minute, so a before/after comparison pairs the two sides
in turns (A, B, A, B, ...) and takes the ratio pair by pair: `--against DIR` (another checkout of
this project) does that for single layers in one process and for whole scripts as processes.
torch is imported only inside the functions that use it. Run the benchmarks from the repository
root as `python -m benchmarks.<name>`.
"""
from __future__ import annotations

import argparse
import cProfile
import importlib
import importlib.machinery
import importlib.util
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from lib.model_evaluation import EVAL_CHUNK_SIZE

TORCH_THREADS = 2  # PyTorch's intra-op threads in every comparison: this machine has 2 cores
REPO_ROOT = Path(__file__).resolve().parent.parent


def make_parser(doc: str) -> argparse.ArgumentParser:
    """An argument parser whose help is the benchmark's module docstring, as written."""
    return argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, to print beside timings (other work slows every side)."""
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def median_seconds(step: Callable[[], object], reps: int) -> float:
    """Median wall time of `step()` over `reps` calls, after one untimed warm-up call."""
    step()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def paired_ratio(ours: Callable[[], object], theirs: Callable[[], object], steps: int) -> Tuple[float, float, float]:
    """(median s of ours, median s of theirs, median ratio ours / theirs) of `steps` pairs, in turns."""
    times: Dict[str, List[float]] = {"ours": [], "theirs": []}
    for step in range(steps):
        order = (("ours", ours), ("theirs", theirs)) if step % 2 else (("theirs", theirs), ("ours", ours))
        for name, run in order:
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    a, b = np.array(times["ours"]), np.array(times["theirs"])
    return float(np.median(a)), float(np.median(b)), float(np.median(a / b))


def print_paired(cases: Iterable[Tuple[str, Callable[[], object], Callable[[], object], int]]) -> None:
    """A markdown table: for each (case, this checkout's step, the other's step, pairs), `paired_ratio` in ms."""
    print("| case | this ms | other ms | median ratio this / other |\n|---|---|---|---|")
    for case, ours, theirs, pairs in cases:
        this_s, other_s, ratio = paired_ratio(ours, theirs, pairs)
        print(f"| {case} | {this_s * 1e3:.3f} | {other_s * 1e3:.3f} | {ratio:.3f} |", flush=True)
    print(f"{load_average()} at the end")


def print_profile(run: Callable[[], object], top: int) -> pstats.Stats:
    """Run `run()` under cProfile and print the `top` functions with the most own time; returns the stats."""
    profiler = cProfile.Profile()
    profiler.runcall(run)
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(top)
    return stats


def _is_lib(name: str) -> bool:
    return name == "lib" or name.startswith("lib.")


def _checkout(path: Path) -> Path:
    path = Path(path).resolve()
    if not (path / "lib" / "__init__.py").is_file():
        raise ValueError(f"--against must be a checkout of this project (with lib/__init__.py), got {path}")
    return path


def import_from_checkout(checkout: Path, module: str) -> ModuleType:
    """`lib.<module>` of `checkout`, imported beside this checkout's `lib` (which stays as it was).

    With the other `lib` package in `sys.modules` its submodules are looked up in its folder; they
    are then taken out of `sys.modules` again: they keep referring to one another, all else gets ours.
    """
    spec = importlib.machinery.PathFinder.find_spec("lib", [str(_checkout(checkout))])
    ours = {name: m for name, m in sys.modules.items() if _is_lib(name)}
    for name in ours:
        del sys.modules[name]
    try:
        sys.modules["lib"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules["lib"])
        return importlib.import_module(f"lib.{module}")
    finally:
        for name in [name for name in sys.modules if _is_lib(name)]:
            del sys.modules[name]
        sys.modules.update(ours)


def compare_script_runs(script: str, checkout: Path, repeats: int, args: Sequence[str] = ()) -> None:
    """Time the root script `script` here and in `checkout` as whole processes in turns (`paired_ratio`).

    Runs in a temporary working directory (results/ lands there); prints every run, the medians and ratio.
    """
    other = _checkout(checkout)
    print(f"{script} {' '.join(args)}: this checkout against {other}, {load_average()}")

    def run(root: Path) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            done = subprocess.run([sys.executable, str(root / script), *args], cwd=tmp, check=True,
                                  stdout=subprocess.PIPE, text=True)
        last = [line.strip() for line in done.stdout.splitlines() if "ccuracy" in line][-1:]
        print(f"{'this' if root == REPO_ROOT else 'other':5}: {time.perf_counter() - start:6.2f} s  {' '.join(last)}"
              f"  [{load_average()}]", flush=True)

    this_s, other_s, ratio = paired_ratio(lambda: run(REPO_ROOT), lambda: run(other), repeats)
    print(f"median of {repeats}: this {this_s:.2f} s, other {other_s:.2f} s, median ratio this / other {ratio:.3f}")


def run_child(python: str, module: str, args: Sequence[str], torch_side: bool = False) -> Dict:
    """The JSON last line of `python -m <module> <args>` in a fresh process, plus its "process_seconds".

    A process per run keeps numpy's OpenBLAS threads and torch's OpenMP threads apart: in one process
    they keep spinning after their own work and, on 2 cores, slowed each other down tenfold.
    """
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1") if torch_side else None  # there numpy only loads data
    start = time.perf_counter()
    done = subprocess.run([python, "-m", module, *args], cwd=REPO_ROOT, env=env, check=True,
                          stdout=subprocess.PIPE, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - start
    return result


def describe_run(run: Dict) -> str:
    """A child's run as one line: seconds, the whole process's, accuracies per epoch, the load now."""
    accuracies = " ".join(f"{a:.4f}" for a in run["accuracies"])
    test = f", test {run['test_accuracy']:.4f}" if "test_accuracy" in run else ""
    return (f"{run['seconds']:6.2f} s (process {run['process_seconds']:6.2f} s), "
            f"val accuracy per epoch [{accuracies}]{test}   [{load_average()}]")


def alternate_children(module: str, args: Sequence[str], repeats: int,
                       torch_python: Optional[str]) -> Tuple[List[Dict], List[Dict]]:
    """(ours, PyTorch's): `repeats` child runs of each side (`--child ours|torch`) in turns, each printed.

    Ours run in this interpreter, PyTorch's in `torch_python` (none if None).
    """
    ours, theirs = [], []
    for repeat in range(repeats):
        for kind, python, runs in (("ours", sys.executable, ours), ("torch", torch_python, theirs)):
            if python:
                runs.append(run_child(python, module, ["--child", kind, *args], kind == "torch"))
                print(f"{kind:5} #{repeat + 1}: {describe_run(runs[-1])}", flush=True)
    return ours, theirs


def print_seeds(module: str, seeds: Sequence[int], args: Sequence[str] = ()) -> Dict[str, float]:
    """{seed: final validation accuracy} of one child run of ours per seed; prints each, mean, min, max."""
    finals = {}
    for seed in seeds:
        run = run_child(sys.executable, module, ["--child", "ours", "--seed", str(seed), *args])
        finals[str(seed)] = run["accuracies"][-1]
        print(f"seed {seed}: {describe_run(run)}", flush=True)
    values = list(finals.values())
    print(f"final validation accuracy per seed {[round(a, 4) for a in values]}: mean {np.mean(values):.4f}, "
          f"min {min(values):.4f}, max {max(values):.4f}")
    return finals


def torch_twin(reference, dtype):
    """The PyTorch twin of the Sequential model `reference` in numpy dtype `dtype`, its weights copied."""
    import torch
    from torch import nn
    torch.set_num_threads(TORCH_THREADS)
    dtype = getattr(torch, np.dtype(dtype).name)

    def copied(twin, weight, bias):
        with torch.no_grad():  # into parameters already of `dtype`: float64 weights stay exact
            twin.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
            if bias is not None:
                twin.bias.copy_(torch.from_numpy(bias.reshape(-1)))
        return twin

    twins = {
        "Conv2d": lambda layer: copied(nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                                                 layer.stride, layer.pad, bias=layer.b is not None, dtype=dtype),
                                       layer.W.data, None if layer.b is None else layer.b.data),
        # ours computes x @ W, torch x @ W.T
        "Linear": lambda layer: copied(nn.Linear(*layer.W.data.shape, dtype=dtype), layer.W.data.T, layer.b.data),
        "MaxPool2d": lambda layer: nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding),
        "BatchNorm2d": lambda layer: nn.BatchNorm2d(layer.num_features, layer.eps, layer.momentum, dtype=dtype),
        "ReLU": lambda layer: nn.ReLU(), "Flatten": lambda layer: nn.Flatten()}
    return nn.Sequential(*(twins[type(layer).__name__](layer) for layer in reference.modules))


def torch_training(model, optimizer, load_data: Callable, dtype, batch: int, epochs: int, scheduler=None,
                   target: Optional[float] = None) -> Dict:
    """Train as `fit` does: {"seconds" from before `load_data()` on, "accuracies" (validation, per epoch)}.

    Same shuffles (`np.random.shuffle`), a step per batch (and of `scheduler`), then an evaluation as
    `evaluate` makes it (chunks of `EVAL_CHUNK_SIZE`, cost summed per batch), printed to stderr (stdout
    carries the child's JSON). Stops early at validation accuracy `target`. `load_data()` returns
    lib's (x_train, x_val, x_test, y_train, y_val, y_test): x (N, 1, 28, 28), y (N, 10) one-hot.
    """
    import torch
    from torch import nn
    loss_fn, accuracies = nn.CrossEntropyLoss(), []
    start = time.perf_counter()
    x_train, x_val, _, y_train, y_val, _ = load_data()
    x_train_t, x_val_t = (torch.from_numpy(np.asarray(x, dtype=dtype)) for x in (x_train, x_val))
    y_train_t, y_val_t = torch.from_numpy(y_train.argmax(axis=1)), torch.from_numpy(y_val.argmax(axis=1))
    idx = np.arange(len(x_train))
    for _ in range(epochs):
        np.random.shuffle(idx)
        order = torch.from_numpy(idx)
        xs, ys = x_train_t[order], y_train_t[order]
        model.train()
        for b in range(0, len(xs), batch):
            optimizer.zero_grad()
            loss_fn(model(xs[b:b + batch]), ys[b:b + batch]).backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
        model.eval()
        with torch.no_grad():
            logits = torch.cat([model(x_val_t[s:s + EVAL_CHUNK_SIZE]) for s in range(0, len(x_val_t), EVAL_CHUNK_SIZE)])
            cost = sum(float(loss_fn(logits[s:s + batch], y_val_t[s:s + batch])) for s in range(0, len(logits), batch))
            accuracies.append(float((logits.argmax(dim=1) == y_val_t).double().mean()))
        print(f"  torch epoch {len(accuracies)}: eval accuracy {accuracies[-1]:.4f}, eval cost {cost:.4f}",
              file=sys.stderr)
        if target is not None and accuracies[-1] >= target:
            break
    return {"seconds": time.perf_counter() - start, "accuracies": accuracies}
