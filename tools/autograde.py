"""Run the GitHub Classroom autograding locally: `python -m tools.autograde` from the repository root.

Students may push to master only three times, and every push is graded by the classroom workflow
(`.github/workflows/classroom.yml`, the `education/autograding` action), which runs each entry of
`.github/classroom/autograding.json`. This module runs the same entries the same way, so a grade can
be predicted before pushing:

* each entry's `setup` and then its `run` command go to the shell, from the repository root;
* `timeout` is in minutes and covers setup and run together (the action subtracts the setup's time);
* the environment holds only PATH and FORCE_COLOR=true, as in the action (`--inherit-env` keeps yours);
* an entry passes when its commands exit with code 0 and its stdout (line endings normalised,
  stripped) includes `output`, sent `input` on stdin; passing entries earn their `points`.

Only what the generated config uses is supported: the comparison "included" (the action's default) and
the fields above plus `name`. An entry with another comparison or field is refused with a one-line
message naming it, rather than graded differently from the action.

The setup is `pip install -r requirements.txt`: it is slow, needs the network and changes the current
environment, so here it is skipped unless `--with-setup` is given (install the requirements once yourself).

Usage:
    python -m tools.autograde [--with-setup] [--inherit-env] [--config PATH] [--root DIR] [--show-output]
Exit status: 0 if every entry passed, 1 if any failed, 2 if the configuration is invalid or unsupported.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = Path(".github") / "classroom" / "autograding.json"
DEFAULT_TIMEOUT_MINUTES = 1  # the action's fallback when an entry has no (or a zero) timeout
OUTPUT_TAIL_LINES = 25
NUMBER = (int, float)
FIELDS = {"name": str, "run": str, "setup": str, "input": str, "output": str, "comparison": str,
          "timeout": NUMBER, "points": NUMBER}


class AutogradingConfigError(ValueError):
    """The autograding.json file is missing, not JSON, or an entry is malformed or unsupported."""


@dataclass(frozen=True)
class Entry:
    """One test of autograding.json: `setup` then `run` in a shell, passing if both exit 0 in time and
    `run`'s stdout includes `output` (`input` goes to its stdin); it then earns `points`."""

    name: str
    run: str
    setup: str = ""
    input: str = ""
    output: str = ""
    timeout_minutes: float = DEFAULT_TIMEOUT_MINUTES
    points: float = 0


@dataclass(frozen=True)
class Result:
    """What running one entry gave: passed, why not ("" when it passed), seconds taken, stdout and stderr."""

    passed: bool
    reason: str
    seconds: float
    output: str


def _entry(index: int, raw: object) -> Entry:
    """Check one raw entry of the "tests" list field by field and build its `Entry`."""
    if not isinstance(raw, dict):
        raise AutogradingConfigError(f"tests[{index}] must be an object, got {raw!r}")
    where = f"tests[{index}] ({raw.get('name', '?')})"
    for key in ("name", "run"):
        if key not in raw:
            raise AutogradingConfigError(f"{where}: field {key!r} is missing")
    for key, value in raw.items():
        if key not in FIELDS:
            raise AutogradingConfigError(f"{where}: field {key!r} is not supported by this tool")
        if isinstance(value, bool) or not isinstance(value, FIELDS[key]):
            raise AutogradingConfigError(f"{where}: field {key!r} has the wrong type, got {value!r}")
        if FIELDS[key] is NUMBER and value < 0:
            raise AutogradingConfigError(f"{where}: field {key!r} must be >= 0, got {value!r}")
    if raw.get("comparison") not in (None, "", "included"):  # "" means the action's default, "included"
        raise AutogradingConfigError(f"{where}: comparison {raw['comparison']!r} is not supported (only 'included')")
    return Entry(raw["name"], raw["run"], raw.get("setup", ""), raw.get("input", ""), raw.get("output", ""),
                 raw.get("timeout") or DEFAULT_TIMEOUT_MINUTES, raw.get("points", 0))


def load_config(path: Path) -> List[Entry]:
    """Read and check an autograding.json file, `{"tests": [{"name": ..., "run": ..., ...}, ...]}`.

    Raises:
        AutogradingConfigError: if the file is missing, is not JSON, or an entry is malformed or uses a
            field or comparison this tool does not support (the message names the entry and the field).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AutogradingConfigError(f"cannot read autograding config {path}: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("tests"), list):
        raise AutogradingConfigError(f'autograding config {path} must be an object {{"tests": [...]}}')
    return [_entry(index, raw) for index, raw in enumerate(data["tests"])]


def classroom_environment() -> Dict[str, str]:
    """The environment the action gives commands: PATH and FORCE_COLOR=true (plus, on Windows, the
    variables without which cmd.exe and Python cannot start)."""
    env = {"PATH": os.environ.get("PATH", ""), "FORCE_COLOR": "true"}
    if os.name == "nt":
        env.update({key: os.environ[key] for key in ("SYSTEMROOT", "COMSPEC", "PATHEXT", "TEMP", "TMP")
                    if key in os.environ})
    return env


def _run_shell(command: str, cwd: Path, env: Dict[str, str], stdin_text: str, timeout_s: float):
    """Run `command` in a shell; return (exit code, or None on timeout; stdout; stderr)."""
    group = {"start_new_session": True} if os.name == "posix" else {}  # own group: a timeout kills the whole tree
    process = subprocess.Popen(command, shell=True, cwd=str(cwd), env=env,
                               stdin=subprocess.PIPE if stdin_text else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, **group)
    try:
        stdout, stderr = process.communicate(stdin_text.encode() or None, timeout=max(timeout_s, 0.001))
        code = process.returncode
    except subprocess.TimeoutExpired:
        if group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        stdout, stderr = process.communicate()
        code = None
    return code, stdout.decode(errors="replace"), stderr.decode(errors="replace")


def _normalise(text: str) -> str:
    """The action compares outputs with Windows line endings made Unix ones and both ends stripped."""
    return text.replace("\r\n", "\n").strip()


def run_entry(entry: Entry, cwd: Path, with_setup: bool = False, env: Optional[Dict[str, str]] = None) -> Result:
    """Run one entry as the classroom action does: setup, then run, under one shared time limit.

    Args:
        entry: the entry.
        cwd: the repository root, where the commands run.
        with_setup: run the entry's setup command first (default False: it is assumed done).
        env: the commands' environment; default `classroom_environment()`.

    Returns:
        The `Result`: passed when every command exited with 0 in time and the output included `output`.
    """
    env = classroom_environment() if env is None else env
    start = time.monotonic()
    stages = [("setup", entry.setup, "")] if with_setup and entry.setup else []
    log = stdout = ""
    for stage, command, stdin_text in stages + [("run", entry.run, entry.input)]:
        time_left = entry.timeout_minutes * 60 - (time.monotonic() - start)
        code, stdout, stderr = _run_shell(command, cwd, env, stdin_text, time_left)
        log += stdout + stderr
        if code != 0:
            reason = f"timed out after {entry.timeout_minutes:g} min" if code is None else f"exited with code {code}"
            return Result(False, f"{stage} {reason}", time.monotonic() - start, log)
    passed = _normalise(entry.output) in _normalise(stdout)
    return Result(passed, "" if passed else "output did not match (included)", time.monotonic() - start, log)


def report(entry: Entry, result: Result, show_output: bool = False) -> List[str]:
    """The entry's report lines, e.g. "[PASS] tests/test_losses.py: 10/10 points, 1.2 s"; a failing entry
    adds why and its output's last lines (`show_output`: all of its output, pass or fail)."""
    status, earned = ("PASS", entry.points) if result.passed else ("FAIL", 0)
    line = f"[{status}] {entry.name}: {earned:g}/{entry.points:g} points, {result.seconds:.1f} s"
    lines = [line if result.passed else f"{line} -- {result.reason}"]
    if show_output or not result.passed:
        output = result.output.rstrip().splitlines()
        lines += ["    " + text for text in (output if show_output else output[-OUTPUT_TAIL_LINES:])]
    return lines


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run every entry of the autograding config, print points per entry and in total; return the exit status
    (0 if every entry passed, 1 if any failed, 2 if the config is invalid or unsupported)."""
    parser = argparse.ArgumentParser(prog="python -m tools.autograde", description="Run .github/classroom/"
                                     "autograding.json locally, as GitHub Classroom's autograding action does.")
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
    earned, failed = 0, []
    for entry in entries:
        result = run_entry(entry, args.root, args.with_setup, env)
        print("\n".join(report(entry, result, args.show_output)), flush=True)
        if result.passed:
            earned += entry.points
        else:
            failed.append(entry.name)
    print(f"Points {earned:g}/{sum(entry.points for entry in entries):g}")
    print(f"{len(failed)} failed: {', '.join(failed)}" if failed else "All tests passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
