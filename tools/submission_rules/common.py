"""What every rule of `tools.check_submission` shares: its result, running a command with a time limit, short text.

A rule returns a `RuleResult`: its status (PASSED, FAILED or NOT_CHECKED), a one-line summary (the reason when it
failed or was not checked) and detail lines (`file:line: what`), most important first. Commands run in their own
process group, so that a time limit ends the whole tree (pytest, and what a student's code starts).

Usage: `result(key, title, PASSED, summary, details, **data)`; `run_command(argv, cwd, timeout_s)`.
"""
from __future__ import annotations

import os
import signal
import subprocess
from typing import Dict, List, NamedTuple, Optional, Sequence

PASSED, FAILED, NOT_CHECKED = "passed", "failed", "not checked"


class RuleResult(NamedTuple):
    """One rule's verdict: key (CSV column), title, status, one-line summary, details, extra data for --json."""
    key: str
    title: str
    status: str
    summary: str
    details: List[str]
    data: Dict[str, object]


def result(key: str, title: str, status: str, summary: str, details: Sequence[str] = (),
           **data: object) -> RuleResult:
    """A `RuleResult` (details as a list, extra keyword arguments as its data)."""
    return RuleResult(key, title, status, summary, list(details), dict(data))


class Completed(NamedTuple):
    """What a command gave: its exit status (None when it ran past its time limit), stdout and stderr."""
    code: Optional[int]
    stdout: str
    stderr: str


def run_command(argv: Sequence[str], cwd: str, timeout_s: float, env: Optional[Dict[str, str]] = None,
                stdin_text: str = "") -> Completed:
    """Run `argv` (no shell) in `cwd` within `timeout_s` seconds; past it the whole process group is killed.

    Raises:
        OSError: if the program cannot be started (not found, not executable).
    """
    posix = os.name == "posix"
    process = subprocess.Popen(list(argv), cwd=cwd, env=env, start_new_session=posix,
                               stdin=subprocess.PIPE if stdin_text else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        stdout, stderr = process.communicate(stdin_text.encode("utf-8") or None, timeout=max(timeout_s, 0.1))
        code: Optional[int] = process.returncode
    except subprocess.TimeoutExpired:
        if posix:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:
            process.kill()
        stdout, stderr = process.communicate()
        code = None
    return Completed(code, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"))


def shorten(text: str, width: int = 72) -> str:
    """`text` on one line (whitespace runs made one space), cut to `width` characters with "..."."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


def first_line(text: str) -> str:
    """The first line of `text` that is not blank, stripped ("" if none)."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def plural(count: int, word: str, many: str = "") -> str:
    """ "1 file", "2 files" (or `many` for the plural form)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"
