"""Rule 5: the handout's tests per graded part, as GitHub Classroom counts them.

Each graded part of the handout's workflow is one command-grader step: its command (`python -m pytest
tests/<file>`) runs in the repository root, and the part earns its points when the command exits with 0. Here each
part runs the same way, with the interpreter that runs the checker, in the graders' environment (PATH, HOME,
FORCE_COLOR; plus MPLBACKEND=Agg, no bytecode files, no pytest cache), in a process of its own, `jobs` at a time,
all within one deadline (a part that does not finish in time earns nothing, as on GitHub when it times out). A
JUnit report (pytest's own `--junitxml`) gives each test's outcome and what failed in the tests' own words: the
first line of the failure's message ("AssertionError: " left out). GitHub Classroom runs Python 3.8 and the
`pip install` of requirements.txt; rule 4 runs the tests under 3.8 where it can.

Usage: `outcomes = run_parts(record.parts, root, deadline)`; `graded_tests.check(record.parts, outcomes)`.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence

from tools.autograde import COMMAND_GRADER, classroom_environment
from tools.submission_rules.common import FAILED, NOT_CHECKED, PASSED, RuleResult, plural, result, run_command
from tools.submission_rules.record import Part

KEY, TITLE = "tests", "the handout's tests"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # FORCE_COLOR=true, as on GitHub, colours pytest's output


class TestOutcome(NamedTuple):
    """One test: its id (JUnit class name :: test name), outcome ("passed", "failed", "skipped"), message."""
    id: str
    outcome: str
    message: str

    @property
    def name(self) -> str:
        return self.id.rsplit("::", 1)[-1]


class PartOutcome(NamedTuple):
    """One graded part's run: earned its points or not, the tests, why not (timed out, not run), seconds."""
    part: Part
    earned: bool
    tests: List[TestOutcome]
    note: str
    seconds: float

    @property
    def passed(self) -> int:
        return sum(1 for test in self.tests if test.outcome == "passed")


def test_environment() -> Dict[str, str]:
    """The graders' environment, plus what keeps a run from drawing windows or writing into the repository."""
    return dict(classroom_environment(COMMAND_GRADER), MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")


def pytest_arguments(command: str) -> Optional[List[str]]:
    """The arguments after `python -m pytest` of a step's command, or None for any other command."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if len(words) >= 3 and words[0] in ("python", "python3") and words[1:3] == ["-m", "pytest"]:
        return words[3:]
    return None


def _message(element: ElementTree.Element) -> str:
    """The first line of a failure's message, in the test's own words."""
    message = (element.get("message") or "").strip()
    if not message or message == "collection failure":
        for line in (element.text or "").splitlines():
            if line.startswith("E   "):
                message = line[4:].strip()
                break
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if lines and lines[0].startswith("AssertionError:"):  # the words are the assertion's; its type adds nothing
        lines[0] = lines[0][len("AssertionError:"):].strip()
        if not lines[0]:  # a message that starts on a new line (numpy's testing functions)
            lines = lines[1:]
    return lines[0] if lines else ""


def read_junit(path: Path) -> List[TestOutcome]:
    """Every test case of a pytest JUnit report ([] when the file is missing or unreadable)."""
    try:
        root = ElementTree.parse(str(path)).getroot()
    except (OSError, ElementTree.ParseError):
        return []
    tests = []
    for case in root.iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        if failure is not None:
            tests.append(TestOutcome(test_id, "failed", _message(failure)))
        elif case.find("skipped") is not None:
            tests.append(TestOutcome(test_id, "skipped", ""))
        else:
            tests.append(TestOutcome(test_id, "passed", ""))
    return tests


def run_pytest(python: Sequence[str], root: Path, arguments: Sequence[str], timeout_s: float, work: Path):
    """Run `python -m pytest ARGUMENTS` in `root` with a JUnit report (`python`: how to start the interpreter, as
    a list); returns (Completed, tests)."""
    report = work / "report.xml"
    argv = [*python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *arguments]
    done = run_command(argv, str(root), timeout_s, test_environment())
    return done, read_junit(report)


def _run_part(part: Part, root: Path, python: str, deadline: float) -> PartOutcome:
    started = time.monotonic()
    left = deadline - started
    if left < 1:
        return PartOutcome(part, False, [], "not run: no time was left", 0.0)
    arguments = pytest_arguments(part.command)
    work = Path(tempfile.mkdtemp(prefix="check_submission_"))
    try:
        if arguments is None:
            done = run_command(["/bin/sh", "-c", part.command] if os.name == "posix" else
                               ["cmd", "/c", part.command], str(root), left, test_environment())
            tests: List[TestOutcome] = []
        else:
            done, tests = run_pytest([python], root, arguments, left, work)
    except OSError as error:
        return PartOutcome(part, False, [], f"not run: {error}", 0.0)
    finally:
        shutil.rmtree(str(work), ignore_errors=True)
    seconds = time.monotonic() - started
    if done.code is None:
        return PartOutcome(part, False, tests, f"timed out after {seconds:.0f} s", seconds)
    note = ""
    if done.code != 0 and not any(test.outcome == "failed" for test in tests):
        output = [line.strip() for line in _ANSI.sub("", done.stdout + done.stderr).splitlines() if line.strip()]
        errors = [line for line in output if line.startswith(("ERROR", "E "))]
        note = f"exit status {done.code}" + (f": {(errors or output)[-1]}" if output else "")
    return PartOutcome(part, done.code == 0, tests, note, seconds)


def run_parts(parts: Sequence[Part], root: Path, deadline: float, jobs: int = 2,
              python: str = sys.executable) -> List[PartOutcome]:
    """Run every part's command (`jobs` at a time, all by `deadline`, a time.monotonic() value)."""
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(lambda part: _run_part(part, Path(root), python, deadline), parts))


def check(parts: Sequence[Part], outcomes: Sequence[PartOutcome]) -> RuleResult:
    """The rule's result: tests passed / total and points per part, and what failed."""
    if not parts:
        return result(KEY, TITLE, NOT_CHECKED, "the handout's workflow names no graded part")
    passed = sum(outcome.passed for outcome in outcomes)
    total = sum(len(outcome.tests) for outcome in outcomes)
    points = sum(outcome.part.points for outcome in outcomes if outcome.earned)
    most = sum(part.points for part in parts)
    details, more = [], []  # a line per part without points (with its first failure), then its other failures
    for outcome in outcomes:
        if outcome.earned:
            continue
        failed = [f"{test.name}: {test.message or 'failed'}" for test in outcome.tests if test.outcome == "failed"]
        why = f"{outcome.passed}/{len(outcome.tests)} passed" + (f", {outcome.note}" if outcome.note else "")
        details.append(f"{outcome.part.name}: {why}, 0/{outcome.part.points} points" +
                       (f"; {failed[0]}" if failed else ""))
        more += [f"{outcome.part.name}: {failure}" for failure in failed[1:]]
    details += more
    data = {"passed": passed, "total": total, "points": points, "max_points": most,
            "parts": [{"name": o.part.name, "command": o.part.command, "points": o.part.points if o.earned else 0,
                       "max_points": o.part.points, "passed": o.passed, "total": len(o.tests), "note": o.note,
                       "seconds": round(o.seconds, 1),
                       "failed": [{"test": t.id, "message": t.message} for t in o.tests if t.outcome == "failed"]}
                      for o in outcomes]}
    summary = f"{passed}/{total} passed, {points}/{most} points"
    if points == most:
        return result(KEY, TITLE, PASSED, summary, details, **data)
    missed = [outcome.part.name for outcome in outcomes if not outcome.earned]
    return result(KEY, TITLE, FAILED, f"{summary} ({plural(len(missed), 'part')} without points: "
                                      f"{', '.join(missed)})", details, **data)
