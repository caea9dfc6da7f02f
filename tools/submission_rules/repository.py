"""A submission on disk: its files (as git would push them), their text, and the gaps they hold.

The files are those a `git add .` would take: every file under the root except `.git`, `__pycache__`, compiled
files, virtual environments (a folder holding `pyvenv.cfg` or `conda-meta`) and what the root's `.gitignore`
names (plain patterns: `name`, `dir/`, `*.ext`, `/anchored`, `a/b`; negations are ignored). Gaps are found by
`tools.submission_rules.gap_markers`, which reports malformed or unpaired markers as problems.

Usage: `repo = Repository(root)`; `repo.files`, `repo.text(rel)`, `repo.lines(rel)`, `repo.gaps(rel)`.
"""
from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from tools.submission_rules.gap_markers import FoundGap, find_gaps
from tools.submission_rules.record import text_lines

ALWAYS_SKIPPED = (".git", "__pycache__")
SubmittedGap = FoundGap  # a gap of a submitted file (start, end, function, closed)


def _patterns(root: Path) -> List[Tuple[str, bool, bool]]:
    """(pattern, only folders, anchored at the root) for each line of the root's .gitignore."""
    try:
        lines = (root / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    patterns = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith(("#", "!")):
            continue
        folder_only = line.endswith("/")
        line = line.rstrip("/")
        anchored = "/" in line
        if line:
            patterns.append((line.lstrip("/"), folder_only, anchored))
    return patterns


def _ignored(rel: str, is_folder: bool, patterns: List[Tuple[str, bool, bool]]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    for pattern, folder_only, anchored in patterns:
        if (is_folder or not folder_only) and fnmatch.fnmatchcase(rel if anchored else name, pattern):
            return True
    return False


def list_files(root: Path) -> List[str]:
    """The relative POSIX paths of the files a `git add .` would take (see the module docstring), sorted."""
    root = Path(root)
    patterns = _patterns(root)
    found = []
    for folder, subfolders, names in os.walk(str(root)):
        base = Path(folder).relative_to(root).as_posix()
        prefix = "" if base == "." else base + "/"
        subfolders[:] = sorted(
            name for name in subfolders
            if name not in ALWAYS_SKIPPED and not _ignored(prefix + name, True, patterns)
            and not (Path(folder, name, "pyvenv.cfg").exists() or Path(folder, name, "conda-meta").is_dir()))
        found += [prefix + name for name in names
                  if not name.endswith((".pyc", ".pyo")) and not _ignored(prefix + name, False, patterns)]
    return sorted(found)


class Repository:
    """A submission's folder: its files, texts and gaps, each read once."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.files = list_files(self.root)
        self._texts: Dict[str, Optional[str]] = {}
        self._gaps: Dict[str, Tuple[List[SubmittedGap], List[str]]] = {}

    def exists(self, rel: str) -> bool:
        return (self.root / rel).is_file()

    def read_bytes(self, rel: str) -> Optional[bytes]:
        """The file's bytes, or None if it is missing or cannot be read."""
        try:
            return (self.root / rel).read_bytes()
        except OSError:
            return None

    def text(self, rel: str) -> Optional[str]:
        """The file as text (undecodable bytes replaced), or None if it is missing or cannot be read."""
        if rel not in self._texts:
            content = self.read_bytes(rel)
            self._texts[rel] = None if content is None else content.decode("utf-8", "replace")
        return self._texts[rel]

    def lines(self, rel: str) -> List[str]:
        text = self.text(rel)
        return [] if text is None else text_lines(text)

    def gaps(self, rel: str) -> Tuple[List[SubmittedGap], List[str]]:
        """The gaps of a Python file and the problems of its markers ("file:line: what"), none for other files."""
        if rel not in self._gaps:
            self._gaps[rel] = self._find_gaps(rel)
        return self._gaps[rel]

    def _find_gaps(self, rel: str) -> Tuple[List[SubmittedGap], List[str]]:
        text = self.text(rel)
        if text is None or not rel.endswith(".py"):
            return [], []
        return find_gaps(text, rel)

    def gap_lines(self, rel: str) -> List[Tuple[int, int]]:
        """(first, last) line of each gap of a file, markers included."""
        return [(gap.start, gap.end) for gap in self.gaps(rel)[0]]
