"""Rule 3: PEP 8 as the sheet checks it, `pycodestyle --max-line-length 120` on the whole repository.

It runs as `./runtests.sh` runs it, skipping what `tools/style_excludes.py` lists (setup.cfg's excludes and any
virtual environment in the tree), with the interpreter that runs the checker. Findings inside the gaps (the lines
from a `# START TODO` to its `# END TODO`) are listed first: those are the team's own.

Usage: `style.check(Repository(root))` -> RuleResult.
"""
from __future__ import annotations

import importlib.util
import re
import sys
from typing import List, Tuple

from tools.style_excludes import style_excludes
from tools.submission_rules.common import FAILED, NOT_CHECKED, PASSED, RuleResult, plural, result, run_command
from tools.submission_rules.repository import Repository

KEY, TITLE = "style", "pycodestyle --max-line-length 120"
TIMEOUT_S = 60
_FINDING = re.compile(r"^(?:\./)?(?P<file>[^:]+):(?P<line>\d+):(?P<column>\d+): (?P<text>.*)$")


def _in_gap(repo: Repository, rel: str, line: int) -> bool:
    return any(start <= line <= end for start, end in repo.gap_lines(rel))


def check(repo: Repository) -> RuleResult:
    """Run pycodestyle on the submission and list its findings, those inside the gaps first."""
    if importlib.util.find_spec("pycodestyle") is None:
        return result(KEY, TITLE, NOT_CHECKED, "pycodestyle is not installed (pip install -r requirements.txt)")
    argv = [sys.executable, "-m", "pycodestyle", "--max-line-length", "120",
            f"--exclude={style_excludes(repo.root)}", "."]
    done = run_command(argv, str(repo.root), TIMEOUT_S)
    if done.code is None:
        return result(KEY, TITLE, NOT_CHECKED, f"pycodestyle ran past {TIMEOUT_S} s")
    inside: List[str] = []
    outside: List[str] = []
    unread: List[str] = []
    for text in done.stdout.splitlines():
        match = _FINDING.match(text)
        if not match:
            unread.append(text)
            continue
        rel, line = match.group("file").replace("\\", "/"), int(match.group("line"))
        finding = f"{rel}:{line}:{match.group('column')}: {match.group('text')}"
        (inside if _in_gap(repo, rel, line) else outside).append(finding)
    if done.code not in (0, 1) or (done.code == 1 and not inside and not outside):
        reason = (done.stderr.strip() or "\n".join(unread)).splitlines()
        return result(KEY, TITLE, NOT_CHECKED, f"pycodestyle failed (exit status {done.code}): "
                                               f"{reason[-1] if reason else 'no output'}")
    data = {"inside_gaps": inside, "outside_gaps": outside}
    if not inside and not outside:
        return result(KEY, TITLE, PASSED, "no findings", **data)
    counts: Tuple[str, ...] = (f"{len(inside)} inside the gaps",) + ((f"{len(outside)} outside",) if outside else ())
    return result(KEY, TITLE, FAILED, f"{plural(len(inside) + len(outside), 'finding')} ({', '.join(counts)})",
                  inside + outside, **data)
