"""What the benchmarks share: medians, paired alternating timings, another checkout, PyTorch's loop.

This machine's speed drifts from minute to minute, so a before/after comparison means something
only when both sides run in turns (A, B, A, B, ...) and the ratio is taken pair by pair.
`--against DIR` (DIR: another checkout of this project, e.g. `git worktree add /tmp/before <commit>`)
does that for single layers in one process (`import_from_checkout`, `paired_ratio`) and for whole
scripts as processes (`compare_script_runs`). Run every benchmark from the repository root as
`python -m benchmarks.<name>`.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np

TORCH_THREADS = 2  # PyTorch's intra-op threads in every comparison: this machine has 2 cores
REPO_ROOT = Path(__file__).resolve().parent.parent


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
    """Run `ours()` and `theirs()` alternately `steps` times each (which goes first alternates too).

    Returns:
        (median seconds of ours, median seconds of theirs, median of the per-pair ratios ours / theirs).
    """
    times = {"ours": [], "theirs": []}
    for step in range(steps):
        order = (("ours", ours), ("theirs", theirs)) if step % 2 else (("theirs", theirs), ("ours", ours))
        for name, run in order:
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    a, b = np.array(times["ours"]), np.array(times["theirs"])
    return float(np.median(a)), float(np.median(b)), float(np.median(a / b))


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, to print beside timings (other work slows every side)."""
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def _is_lib(name: str) -> bool:
    return name == "lib" or name.startswith("lib.")


def _checkout(path: Path) -> Path:
    path = Path(path).resolve()
    if not (path / "lib" / "__init__.py").is_file():
        raise ValueError(f"--against must be a checkout of this project (with lib/__init__.py), got {path}")
    return path


class _CheckoutFinder(importlib.abc.MetaPathFinder):
    """Finds `lib` and `lib.*` in one checkout's folder only; every other module as usual."""

    def __init__(self, root: Path):
        self.root = str(root)

    def find_spec(self, name, path=None, target=None):
        if not _is_lib(name):
            return None
        # A submodule is looked up in its parent's __path__, which for this `lib` is inside `root`.
        return importlib.machinery.PathFinder.find_spec(name, [self.root] if name == "lib" else path)


def import_from_checkout(checkout: Path, module: str) -> ModuleType:
    """`lib.<module>` of `checkout`, imported beside this checkout's `lib` (which stays as it was).

    The other checkout's modules import each other as `lib.*` at import time: they are loaded through
    a finder that sees only its folder, then taken out of `sys.modules` again, so they keep referring
    to one another and this checkout's `lib` comes back for everyone else.
    """
    finder = _CheckoutFinder(_checkout(checkout))
    ours = {name: m for name, m in sys.modules.items() if _is_lib(name)}
    for name in ours:
        del sys.modules[name]
    sys.meta_path.insert(0, finder)
    try:
        return importlib.import_module(f"lib.{module}")
    finally:
        sys.meta_path.remove(finder)
        for name in [name for name in sys.modules if _is_lib(name)]:
            del sys.modules[name]
        sys.modules.update(ours)


def compare_script_runs(script: str, checkout: Path, repeats: int, args: Sequence[str] = ()) -> None:
    """Time the root script `script` (e.g. run_conv_experiment.py) of this checkout and of `checkout` in turns.

    Each run is a fresh process of this interpreter, timed whole (start-up, imports, data, training,
    saving), in a temporary working directory (its results/ lands there), paired as in `paired_ratio`.
    Prints every run with its last accuracy line, the medians and the median ratio this / other.
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


def run_child(python: str, module: str, args: Sequence[str], env: Optional[Dict[str, str]] = None) -> Dict:
    """Run `python -m <module> <args>` in a fresh process; its last stdout line is JSON, returned as a dict.

    The dict gets "process_seconds", the whole process's wall time (start-up and imports included).
    A child process per run keeps numpy's OpenBLAS threads and torch's OpenMP threads apart: in one
    process they keep spinning after their own work and, on 2 cores, slowed each other down tenfold.
    """
    start = time.perf_counter()
    done = subprocess.run([python, "-m", module, *args], cwd=REPO_ROOT, env=env, check=True,
                          stdout=subprocess.PIPE, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - start
    return result


def torch_twin(reference, dtype):
    """The PyTorch twin of the Sequential model `reference` in torch dtype `dtype`, its weights copied.

    Imports torch only when called, like the two functions below, so that the numpy-only benchmarks
    import this module without it.
    """
    import torch
    from torch import nn
    layers, weights = [], []
    for layer in reference.modules:
        kind = type(layer).__name__
        if kind == "Conv2d":
            layers.append(nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                                    layer.pad, bias=layer.b is not None))
            weights.append((layer.W.data, None if layer.b is None else layer.b.data.reshape(-1)))
        elif kind == "Linear":
            layers.append(nn.Linear(*layer.W.data.shape))
            weights.append((layer.W.data.T, layer.b.data))  # ours computes x @ W, torch x @ W.T
        else:
            layers.append({"MaxPool2d": lambda: nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding),
                           "BatchNorm2d": lambda: nn.BatchNorm2d(layer.num_features, layer.eps, layer.momentum),
                           "ReLU": nn.ReLU, "Flatten": nn.Flatten}[kind]())
            weights.append((None, None))
    model = nn.Sequential(*layers).to(dtype)  # before copying: float64 weights stay exact
    with torch.no_grad():
        for twin, (w, b) in zip(model, weights):
            for param, value in ((getattr(twin, "weight", None), w), (getattr(twin, "bias", None), b)):
                if value is not None:
                    param.copy_(torch.from_numpy(np.ascontiguousarray(value)))
    return model


def torch_epoch(model, loss_fn, optimizer, x_train_t, y_train_t, idx: np.ndarray, batch: int,
                scheduler=None) -> None:
    """Shuffle `idx` in place with `np.random.shuffle` (the draw `train` makes), then train on every batch.

    Args:
        model, loss_fn, optimizer: the torch module, loss and optimizer.
        x_train_t: (N, C, H, W) tensor of images; y_train_t: (N,) tensor of class indices.
        idx: (N,) index array, shuffled in place.
        batch: batch size (it divides N).
        scheduler: a learning-rate scheduler stepped after every optimizer step, or None.
    """
    import torch
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


def torch_evaluate(model, loss_fn, x_val_t, y_val_t, batch: int, chunk: int) -> Tuple[float, float]:
    """(accuracy, cost) as `lib.model_evaluation.evaluate` computes them: forward in chunks, cost summed per batch.

    Args:
        x_val_t: (M, C, H, W) tensor of images; y_val_t: (M,) tensor of class indices.
        batch: the batch size the cost is summed over; chunk: images per forward pass.
    """
    import torch
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x_val_t[s:s + chunk]) for s in range(0, len(x_val_t), chunk)])  # (M, 10)
        cost = sum(float(loss_fn(logits[s:s + batch], y_val_t[s:s + batch])) for s in range(0, len(logits), batch))
        accuracy = float((logits.argmax(dim=1) == y_val_t).double().mean())
    return accuracy, cost
