"""Which lib modules the handout needs: every lib module its sources import, directly or through each other.

Imports are read with `ast` from the text as the handout has it (so an import inside a dropped
reference-only region does not count), at any depth of the tree, with the packages on the way
(`lib/a/__init__.py` for `lib.a.b`); an import of a lib module that does not exist is an error naming file:line.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Set, Tuple

from tools.markers import HandoutError, parse_python


def _module_file(root: Path, dotted: str) -> Optional[str]:
    """lib/a/b.py or lib/a/b/__init__.py for "lib.a.b", relative to root, if it exists."""
    base = root.joinpath(*dotted.split("."))
    for path in (base.with_name(base.name + ".py"), base / "__init__.py"):
        if path.is_file():
            return path.relative_to(root).as_posix()
    return None


def lib_imports(root: Path, text: str, filename: str) -> List[Tuple[int, str]]:
    """(line, file) of every lib module a source imports, with the packages on the way (`ast`, any depth).

    `import lib.x`, `from lib.x import y` (y too, when it is a module), `from lib import x` and relative
    imports inside lib/ count. Raises HandoutError (file:line) for an import of a lib module that does not exist.
    """
    package = list(Path(filename).with_suffix("").parts[:-1])  # lib/a/b.py and lib/a/__init__.py: lib.a
    found = []

    def add(line: int, dotted: str, required: bool) -> bool:
        names = dotted.split(".")
        for depth in range(1, len(names)):
            package_file = _module_file(root, ".".join(names[:depth]))
            if package_file:
                found.append((line, package_file))
        module = _module_file(root, dotted)
        if module:
            found.append((line, module))
        elif required:
            raise HandoutError(f"{filename}:{line}: imports {dotted}, which is not in lib/")
        return module is not None

    for node in ast.walk(parse_python(text, filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "lib":
                    add(node.lineno, alias.name, True)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1] if node.level <= len(package) else None
                if not base:
                    continue
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "lib":
                continue
            add(node.lineno, module, True)
            for alias in node.names:
                if alias.name != "*":
                    add(node.lineno, f"{module}.{alias.name}", False)
    return found


def import_closure(root: Path, sources: Sequence[str], read: Callable[[str], str]) -> List[str]:
    """Every lib file the sources import, directly or through each other, sorted (the sources not included
    unless imported). `read(path)` gives a file's text as the handout has it."""
    seen: Set[str] = set()
    pending = list(sources)
    while pending:
        source = pending.pop()
        for _, module in lib_imports(root, read(source), source):
            if module not in seen:
                seen.add(module)
                pending.append(module)
    return sorted(seen)
