"""The project's PEP 8 check: `pycodestyle --max-line-length 120` over the whole repository.

The course checks style with `pycodestyle --max-line-length 120 .`. Run that way, pycodestyle also
walks into any virtual environment created inside the repository and reports thousands of findings
in installed packages. This script runs the same check on the same tree but skips every virtual
environment, whatever its name: any folder that holds a `pyvenv.cfg` file (what `python -m venv` and
virtualenv write). `runtests.sh` and `runtests.bat` call it.

Usage: python tools/check_style.py [ROOT]      (exit status 1 if any line breaks the style)
"""
import os
import sys
from pathlib import Path
from typing import List

import pycodestyle

MAX_LINE_LENGTH = 120
ALWAYS_SKIPPED = [".git", "__pycache__", ".pytest_cache", ".hypothesis", "build", "dist", ".tox"]


def virtual_environments(root: Path) -> List[Path]:
    """Every folder under `root` that holds a `pyvenv.cfg`, without descending into the ones found."""
    found = []
    for folder, subfolders, files in os.walk(str(root)):
        if "pyvenv.cfg" in files:
            found.append(Path(folder).resolve())
            subfolders[:] = []
        else:
            subfolders[:] = [name for name in subfolders if name not in ALWAYS_SKIPPED]
    return found


def check_style(root: Path) -> int:
    """Run pycodestyle over `root` (skipping virtual environments); return the number of findings."""
    excluded = ALWAYS_SKIPPED + [str(path) for path in virtual_environments(Path(root))]
    style = pycodestyle.StyleGuide(max_line_length=MAX_LINE_LENGTH, exclude=excluded)
    return style.check_files([str(root)]).total_errors  # findings are printed with paths as given


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
    sys.exit(1 if check_style(root) else 0)


if __name__ == "__main__":
    main()
