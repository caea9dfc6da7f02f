"""Write .github/classroom/autograding.json: one GitHub Classroom autograding entry per tests/test_*.py file.

Each entry runs `python -m pytest tests/<file>` from the repository root after the setup
`pip install -r requirements.txt`, in the classic autograding.json format that the
`education/autograding` action reads ({"tests": [{"name", "setup", "run", "input", "output",
"comparison", "timeout", "points"}]}). Re-run this whenever a test file is added or removed;
`--check` only reports whether the committed file is up to date (exit 1 if not).

Usage:
    python -m tools.make_autograding [--points 10] [--timeout 10] [--tracked-only] [--check]
Check the result locally with `python -m tools.autograde`.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import List, Optional, Sequence

from lib.utilities import atomic_write_text

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_PATH = REPO_ROOT / ".github" / "classroom" / "autograding.json"
SETUP = "pip install -r requirements.txt"
DEFAULT_POINTS = 10
DEFAULT_TIMEOUT_MINUTES = 10  # the classroom default; the whole suite takes a few minutes at most


def test_files(root: Path, tracked_only: bool = False) -> List[str]:
    """The test files the suite has, as POSIX paths relative to `root`, sorted: tests/test_*.py.

    Args:
        root: the repository root.
        tracked_only: keep only files that git tracks (leave out work in progress that is not committed).
    """
    files = sorted(path.relative_to(root).as_posix() for path in (root / "tests").glob("test_*.py"))
    if tracked_only:
        listed = subprocess.run(["git", "ls-files", "tests"], cwd=str(root), capture_output=True, text=True,
                                check=True).stdout.split()
        files = [path for path in files if path in set(listed)]
    return files


def build_config(files: Sequence[str], points: int = DEFAULT_POINTS,
                 timeout_minutes: int = DEFAULT_TIMEOUT_MINUTES) -> dict:
    """The autograding.json content: one entry per test file.

    Args:
        files: test files relative to the repository root, e.g. ["tests/test_losses.py"].
        points: points per entry.
        timeout_minutes: time limit per entry (setup and run together), in minutes.

    Returns:
        {"tests": [...]} ready for json.dump.
    """
    return {"tests": [{"name": path, "setup": SETUP, "run": f"python -m pytest {path}", "input": "",
                       "output": "", "comparison": "included", "timeout": timeout_minutes, "points": points}
                      for path in files]}


def render(config: dict) -> str:
    """The file text: two-space indented JSON with a final newline."""
    return json.dumps(config, indent=2) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Write (or with --check, compare) the autograding config; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m tools.make_autograding",
                                     description="Generate .github/classroom/autograding.json from tests/test_*.py.")
    parser.add_argument("--points", type=int, default=DEFAULT_POINTS, help="points per test file (default 10)")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT_MINUTES,
                        help="minutes per test file, setup included (default 10)")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the file is out of date")
    parser.add_argument("--tracked-only", action="store_true",
                        help="list only test files that git tracks (not uncommitted work in progress)")
    args = parser.parse_args(argv)
    if args.points < 0 or args.timeout <= 0:
        parser.error("--points must be >= 0 and --timeout > 0")
    files = test_files(REPO_ROOT, args.tracked_only)
    text = render(build_config(files, args.points, args.timeout))
    if args.check:
        current = CONFIG_PATH.read_text(encoding="utf-8") if CONFIG_PATH.exists() else ""
        if current != text:
            print(f"{CONFIG_PATH.relative_to(REPO_ROOT)} is out of date: run python -m tools.make_autograding")
            return 1
        print(f"{CONFIG_PATH.relative_to(REPO_ROOT)} is up to date ({len(files)} test files)")
        return 0
    atomic_write_text(CONFIG_PATH, text)
    print(f"Wrote {CONFIG_PATH.relative_to(REPO_ROOT)}: {len(files)} entries, {args.points * len(files)} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
