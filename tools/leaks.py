"""Does a handout give a gap's answer away? Static checks of the files a handout ships.

A handout leaks when a shipped file imports a module that computes a gap's answer (the fast convolution,
im2col, the image-shifting helpers, the model builders, the textbook layers), defines a function that does
(by name: the reference's helpers for those jobs, or a gap's own function outside its gap's file), still
holds a reference-only region, or holds a gap with anything but its hint and `raise NotImplementedError`.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import List

from tools.gaps import GAPS, GapError, gap_solution
from tools.markers import NOT_IMPLEMENTED

# Modules of the reference that compute what a gap asks for; a handout neither ships nor imports them.
FORBIDDEN_MODULES = ("lib.kernels", "lib.naive_layers", "lib.shifts", "lib.models", "lib.studies",
                     "lib.equivariance", "lib.pooling", "lib.blur_pool")
# Functions and classes of the reference that compute a gap's answer.
FORBIDDEN_NAMES = {"im2col", "col2im", "col2im_add", "im2col_matmul", "matmul_col2im", "pad_batch_inner",
                   "FastConv2d", "shift_images", "shift_each", "random_shifts", "create_mlp", "create_gap_cnn",
                   "conv2d_forward_naive", "conv2d_backward_naive", "flatten_images"}
REFERENCE_MARKERS = ("# BEGIN REFERENCE ONLY", "# END REFERENCE ONLY")


def _module_path(module: str) -> str:
    return module.replace(".", "/")


def _imported_modules(tree: ast.AST) -> List[str]:
    """Every module an `import` or `from ... import` of the tree names, with `from lib import x` as lib.x."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def find_leaks(root: Path) -> List[str]:
    """Every leak in the Python files under `root` (a handout), as "file:line: what" lines."""
    leaks = []
    gap_functions = {gap.function.split(".")[-1]: gap.file for gap in GAPS.values()}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if any(rel.startswith(_module_path(m) + "/") or rel == _module_path(m) + ".py" for m in FORBIDDEN_MODULES):
            leaks.append(f"{rel}: the handout ships a module that computes a gap's answer")
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip().startswith(REFERENCE_MARKERS):
                leaks.append(f"{rel}:{number}: a reference-only marker is left")
        tree = ast.parse(text, filename=rel)
        for module in _imported_modules(tree):
            if any(module == m or module.startswith(m + ".") for m in FORBIDDEN_MODULES):
                leaks.append(f"{rel}: imports {module}")
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            if node.name in FORBIDDEN_NAMES:
                leaks.append(f"{rel}:{node.lineno}: defines {node.name}, which computes a gap's answer")
            if node.name in gap_functions and gap_functions[node.name] != rel and node.name != "forward":
                leaks.append(f"{rel}:{node.lineno}: defines {node.name} outside {gap_functions[node.name]}")
    return leaks


def gaps_not_empty(root: Path) -> List[str]:
    """The gaps of the handout at `root` that hold more than their hint and `raise NotImplementedError`."""
    problems = []
    for name, gap in GAPS.items():
        try:
            body = gap_solution((root / gap.file).read_text(encoding="utf-8"), gap.function, gap.file)
        except (OSError, GapError) as error:
            problems.append(f"{gap.file}: gap {name}: {error}")
            continue
        if body.strip() != NOT_IMPLEMENTED:
            problems.append(f"{gap.file}: gap {name} in {gap.function} holds code besides {NOT_IMPLEMENTED!r}")
    return problems
