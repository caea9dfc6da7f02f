"""Run the GitHub Classroom autograding locally: `python tools/autograde.py`.

Students may push to master only three times, and every push is graded by the classroom workflow
(`.github/workflows/classroom.yml`, the `education/autograding` action), which runs each entry of
`.github/classroom/autograding.json`. This module runs the same entries the same way, so a grade can
be predicted before pushing:

* each entry's `setup` and then its `run` command go to the shell, from the repository root;
* `timeout` is in minutes and covers setup and run together (the action subtracts the setup's time);
* the environment holds only PATH and FORCE_COLOR=true, as in the action (`--inherit-env` keeps yours);
* an entry passes when its commands exit with code 0 and, if it has an `input` or an `output`, when
  its stdout (line endings normalised, stripped) matches `output` by `comparison`: "included"
  (the default), "exact", or "regex" (a regex search, like JavaScript's `String.match`);
* passing entries earn their `points`; entries marked `"extra": true` give extra credit and do not
  count towards the available points or fail the run.

The setup is `pip install -r requirements.txt`: it is slow, needs the network and changes the current
environment, so here it is skipped unless `--with-setup` is given (install the requirements once yourself).

Usage:
    python tools/autograde.py [--with-setup] [--inherit-env] [--config PATH] [--root DIR] [--show-output]
Exit status: 0 if every (non-extra) entry passed, 1 if any failed, 2 if the configuration is invalid.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = Path(".github") / "classroom" / "autograding.json"
COMPARISONS = ("included", "exact", "regex")
DEFAULT_TIMEOUT_MINUTES = 1  # the action's fallback when an entry has no (or a zero) timeout
OUTPUT_TAIL_LINES = 25


class AutogradingConfigError(ValueError):
    """The autograding.json file is missing, not JSON, or an entry is malformed."""


@dataclass(frozen=True)
class Entry:
    """One test of autograding.json (the classic GitHub Classroom format).

    Attributes:
        name: shown in the report.
        run: shell command whose exit status (and stdout, see `output`) decides the entry.
        setup: shell command run before `run` (may be empty).
        input: text sent to `run`'s stdin ("" sends nothing).
        output: expected stdout ("" with an empty input: only the exit status counts).
        comparison: "included", "exact" or "regex".
        timeout_minutes: time limit for setup and run together, in minutes.
        points: earned when the entry passes.
        extra: extra credit (not counted in the available points; failing it does not fail the run).
    """

    name: str
    run: str
    setup: str = ""
    input: str = ""
    output: str = ""
    comparison: str = "included"
    timeout_minutes: float = DEFAULT_TIMEOUT_MINUTES
    points: float = 0
    extra: bool = False


@dataclass(frozen=True)
class Result:
    """What running one entry gave.

    Attributes:
        entry: the entry.
        passed: True if it passed.
        reason: "" when passed, otherwise why it failed (exit status, timeout, output mismatch).
        seconds: wall-clock time of setup and run.
        output: the captured stdout and stderr of setup and run (for the report).
    """

    entry: Entry
    passed: bool
    reason: str
    seconds: float
    output: str

    @property
    def points(self) -> float:
        """Points earned: the entry's points if it passed, else 0."""
        return self.entry.points if self.passed else 0


# ---------------------------------------------------------------------------------------- configuration
def _field(raw: dict, key: str, index: int, kinds: tuple, default=None):
    """raw[key] (or `default` when absent), checked to be an instance of `kinds` (bool is not a number)."""
    value = raw.get(key, default)
    if value is None or (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        expected = " or ".join(kind.__name__ for kind in kinds)
        raise AutogradingConfigError(f"tests[{index}].{key} must be {expected}, got {value!r}")
    return value


def load_config(path: Path) -> List[Entry]:
    """Read and validate an autograding.json file.

    Args:
        path: the file, `{"tests": [{"name", "setup", "run", "input", "output", "comparison",
            "timeout", "points"}, ...]}`; all keys but "name" and "run" may be left out
            ("extra": true marks extra credit).

    Returns:
        The entries, in file order.

    Raises:
        AutogradingConfigError: if the file is missing, is not JSON, or an entry is malformed
            (the message names the entry and the key).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise AutogradingConfigError(f"cannot read autograding config {path}: {error}") from None
    try:
        data = json.loads(text)
    except ValueError as error:
        raise AutogradingConfigError(f"autograding config {path} is not valid JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("tests"), list):
        raise AutogradingConfigError(f'autograding config {path} must be an object {{"tests": [...]}}')
    entries = []
    for index, raw in enumerate(data["tests"]):
        if not isinstance(raw, dict):
            raise AutogradingConfigError(f"tests[{index}] must be an object, got {raw!r}")
        comparison = _field(raw, "comparison", index, (str,), "included") or "included"
        if comparison not in COMPARISONS:
            raise AutogradingConfigError(
                f"tests[{index}].comparison must be one of {', '.join(COMPARISONS)}, got {comparison!r}")
        timeout = _field(raw, "timeout", index, (int, float), DEFAULT_TIMEOUT_MINUTES)
        points = _field(raw, "points", index, (int, float), 0)
        for key, value in (("timeout", timeout), ("points", points)):
            if value < 0:
                raise AutogradingConfigError(f"tests[{index}].{key} must be >= 0, got {value}")
        entries.append(Entry(
            name=_field(raw, "name", index, (str,)), run=_field(raw, "run", index, (str,)),
            setup=_field(raw, "setup", index, (str,), ""), input=_field(raw, "input", index, (str,), ""),
            output=_field(raw, "output", index, (str,), ""), comparison=comparison,
            timeout_minutes=timeout or DEFAULT_TIMEOUT_MINUTES,  # the action treats 0 as "use the default"
            points=points, extra=_field(raw, "extra", index, (bool,), False)))
    return entries


# ---------------------------------------------------------------------------------------- running
def classroom_environment() -> Dict[str, str]:
    """The environment the action gives commands: PATH and FORCE_COLOR=true, nothing else.

    On Windows the variables without which cmd.exe and Python cannot start are kept as well.
    """
    env = {"PATH": os.environ.get("PATH", ""), "FORCE_COLOR": "true"}
    if os.name == "nt":
        env.update({key: os.environ[key] for key in ("SYSTEMROOT", "COMSPEC", "PATHEXT", "TEMP", "TMP")
                    if key in os.environ})
    return env


def _run_shell(command: str, cwd: Path, env: Dict[str, str], stdin_text: str, timeout_s: float):
    """Run `command` in a shell; return (exit code, or None on timeout; stdout; stderr)."""
    extra = {"start_new_session": True} if os.name == "posix" else {}  # own group: a timeout kills the whole tree
    process = subprocess.Popen(command, shell=True, cwd=str(cwd), env=env,
                               stdin=subprocess.PIPE if stdin_text else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, **extra)
    try:
        stdout, stderr = process.communicate(stdin_text.encode() if stdin_text else None,
                                             timeout=max(timeout_s, 0.001))
        code = process.returncode
    except subprocess.TimeoutExpired:
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        stdout, stderr = process.communicate()
        code = None
    return code, stdout.decode(errors="replace"), stderr.decode(errors="replace")


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def output_matches(entry: Entry, stdout: str) -> bool:
    """Whether `stdout` satisfies the entry's expected output, by the action's rules.

    The output is only compared when the entry has an input or an expected output; otherwise the
    exit status alone decides. Line endings are normalised and both sides stripped.

    Args:
        entry: the entry (its `output`, `input` and `comparison`).
        stdout: what `run` printed on stdout.

    Returns:
        True if the output is acceptable.
    """
    if not entry.output and not entry.input:
        return True
    actual = _normalise(stdout)
    if entry.comparison == "exact":
        return actual == _normalise(entry.output)
    if entry.comparison == "regex":
        return re.search(entry.output, actual) is not None
    return _normalise(entry.output) in actual


def run_entry(entry: Entry, cwd: Path, with_setup: bool = False, env: Optional[Dict[str, str]] = None) -> Result:
    """Run one entry as the classroom action does: setup, then run, under one shared time limit.

    Args:
        entry: the entry.
        cwd: the repository root, where the commands run.
        with_setup: run the entry's setup command first (default False: it is assumed done).
        env: the commands' environment; default `classroom_environment()`.

    Returns:
        The `Result`: passed when every command exited with 0 in time and the output matched.
    """
    env = classroom_environment() if env is None else env
    budget_s = entry.timeout_minutes * 60.0
    start = time.monotonic()
    stages = [("setup", entry.setup, "")] if with_setup and entry.setup else []
    stages.append(("run", entry.run, entry.input))
    log = ""
    stdout = ""
    for stage, command, stdin_text in stages:
        code, stdout, stderr = _run_shell(command, cwd, env, stdin_text, budget_s - (time.monotonic() - start))
        log += stdout + stderr
        if code is None:
            reason = f"{stage} timed out after {entry.timeout_minutes:g} min"
            return Result(entry, False, reason, time.monotonic() - start, log)
        if code != 0:
            return Result(entry, False, f"{stage} exited with code {code}", time.monotonic() - start, log)
    passed = output_matches(entry, stdout)
    reason = "" if passed else f"output did not match ({entry.comparison})"
    return Result(entry, passed, reason, time.monotonic() - start, log)


# ---------------------------------------------------------------------------------------- reporting
def format_result(result: Result, show_output: bool = False) -> List[str]:
    """The report lines of one entry: status, points, time, and why it failed with its output's tail.

    Args:
        result: the entry's result.
        show_output: include all of the entry's output (a failing entry always shows its last lines).

    Returns:
        Lines without newlines, e.g. "[PASS] tests/test_losses.py: 10/10 points, 1.2 s".
    """
    entry = result.entry
    extra = " (extra credit)" if entry.extra else ""
    line = (f"[{'PASS' if result.passed else 'FAIL'}] {entry.name}: "
            f"{result.points:g}/{entry.points:g} points{extra}, {result.seconds:.1f} s")
    lines = [line if result.passed else f"{line} -- {result.reason}"]
    if show_output or not result.passed:
        output = result.output.rstrip().splitlines()
        lines += ["    " + text for text in (output if show_output else output[-OUTPUT_TAIL_LINES:])]
    return lines


def summary(results: Sequence[Result]) -> List[str]:
    """The total, as the action prints it ("Points earned/available"), and the failed entries.

    Args:
        results: all results.

    Returns:
        Two lines.
    """
    earned = sum(result.points for result in results)
    available = sum(result.entry.points for result in results if not result.entry.extra)
    failed = [result.entry.name for result in results if not result.passed and not result.entry.extra]
    status = "All tests passed" if not failed else f"{len(failed)} failed: {', '.join(failed)}"
    return [f"Points {earned:g}/{available:g}", status]


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run every entry of the autograding config and print points per entry and in total.

    Args:
        argv: command-line arguments (default sys.argv[1:]); see the module docstring.

    Returns:
        The exit status: 0 if every non-extra entry passed, 1 if any failed, 2 if the config is invalid.
    """
    parser = argparse.ArgumentParser(prog="python tools/autograde.py",
                                     description="Run .github/classroom/autograding.json locally, as GitHub "
                                                 "Classroom's autograding action does.")
    parser.add_argument("--config", type=Path, default=None,
                        help="autograding.json to run (default: <root>/.github/classroom/autograding.json)")
    parser.add_argument("--root", type=Path, default=REPO_ROOT,
                        help="directory the commands run in (default: this repository)")
    parser.add_argument("--with-setup", action="store_true",
                        help="also run each entry's setup command (pip install: slow, needs the network, "
                             "installs into the current environment)")
    parser.add_argument("--inherit-env", action="store_true",
                        help="give the commands your whole environment instead of the action's PATH-only one")
    parser.add_argument("--show-output", action="store_true", help="print every entry's output")
    args = parser.parse_args(argv)
    config = args.config if args.config is not None else args.root / DEFAULT_CONFIG
    try:
        entries = load_config(config)
    except AutogradingConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    env = dict(os.environ) if args.inherit_env else classroom_environment()
    setup_note = "" if args.with_setup else " (setup commands skipped; --with-setup runs them)"
    print(f"Running {len(entries)} autograding entries from {config}{setup_note}", flush=True)
    results = []
    for entry in entries:
        results.append(run_entry(entry, args.root, with_setup=args.with_setup, env=env))
        print("\n".join(format_result(results[-1], args.show_output)), flush=True)
    print("\n".join(summary(results)))
    return 0 if all(result.passed or result.entry.extra for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
