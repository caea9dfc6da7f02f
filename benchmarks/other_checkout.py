"""Import a module of another checkout's `lib` (e.g. a worktree of an earlier commit) beside this one's.

The benchmarks' `--against DIR` options time this checkout and another one step by step, alternating,
in one process: on a machine whose speed drifts from minute to minute, only such paired steps give a
before/after ratio that means something. Make the other checkout with e.g.
`git worktree add /tmp/before <commit>`.
"""
from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np


def _lib_modules() -> dict:
    return {name: module for name, module in sys.modules.items() if name == "lib" or name.startswith("lib.")}


def import_from_checkout(checkout: Path, module: str) -> ModuleType:
    """`lib.<module>` of `checkout`, imported apart from this checkout's `lib` (which stays as it was).

    The other checkout's modules import each other as `lib.*`; they are loaded with only its folder on
    the path, then taken out of `sys.modules` again, so they keep referring to one another.
    """
    checkout = Path(checkout).resolve()
    if not (checkout / "lib" / "__init__.py").is_file():
        raise ValueError(f"--against must be a checkout of this project (with lib/__init__.py), got {checkout}")
    ours = _lib_modules()
    for name in ours:
        del sys.modules[name]
    sys.path.insert(0, str(checkout))
    try:
        return importlib.import_module(f"lib.{module}")
    finally:
        sys.path.remove(str(checkout))
        for name in _lib_modules():
            del sys.modules[name]
        sys.modules.update(ours)


def paired_ratio(ours, theirs, steps: int) -> tuple:
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
