"""Run the GitHub Classroom autograding locally, to predict a grade before pushing: `python -m tools.autograde`.

Runs the entries of `.github/classroom/autograding.json` as the `education/autograding` action does on every push
(`.github/workflows/classroom.yml`): `setup` and `run` in a shell in the repository root, within `timeout` minutes
together, with only PATH and FORCE_COLOR=true set (`--inherit-env` keeps yours); an entry passes, earning its
`points`, when both exit with 0 and the stdout (line endings made Unix ones, stripped) includes `output`, with
`input` on stdin. Anything but the generated config's fields and comparison ("included", the action's default)
is refused in one line rather than graded differently. The setup (`pip install`: slow, needs the network,
changes your environment) runs only with `--with-setup`.
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
    """One test of autograding.json (see the module docstring for how it is run and graded)."""

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
    """The action's environment: PATH and FORCE_COLOR=true (on Windows also what cmd.exe and Python need)."""
    windows = ("SYSTEMROOT", "COMSPEC", "PATHEXT", "TEMP", "TMP") if os.name == "nt" else ()
    return {"PATH": os.environ.get("PATH", ""), "FORCE_COLOR": "true",
            **{key: os.environ[key] for key in windows if key in os.environ}}


def _run_shell(command: str, cwd: Path, env: Dict[str, str], stdin_text: str, timeout_s: float):
    """Run `command` in a shell; return (exit code, or None on timeout; stdout; stderr)."""
    posix = os.name == "posix"  # in its own process group, so that a timeout kills the whole tree
    process = subprocess.Popen(command, shell=True, cwd=str(cwd), env=env, start_new_session=posix,
                               stdin=subprocess.PIPE if stdin_text else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        stdout, stderr = process.communicate(stdin_text.encode() or None, timeout=max(timeout_s, 0.001))
        code = process.returncode
    except subprocess.TimeoutExpired:
        if posix:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        (stdout, stderr), code = process.communicate(), None
    return code, stdout.decode(errors="replace"), stderr.decode(errors="replace")


def run_entry(entry: Entry, cwd: Path, with_setup: bool = False, env: Optional[Dict[str, str]] = None) -> Result:
    """Run one entry as the classroom action does: setup, then run, under one time limit.

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
    passed = entry.output.replace("\r\n", "\n").strip() in stdout.replace("\r\n", "\n").strip()
    return Result(passed, "" if passed else "output did not match (included)", time.monotonic() - start, log)


def report(entry: Entry, result: Result, show_output: bool = False) -> List[str]:
    """The entry's report lines, e.g. "[PASS] tests/test_losses.py: 10/10 points, 1.2 s"; a failing entry
    adds why and its output's last lines (`show_output`: all of its output, pass or fail)."""
    line = f"{entry.points if result.passed else 0:g}/{entry.points:g} points, {result.seconds:.1f} s"
    lines = [f"[PASS] {entry.name}: {line}" if result.passed else f"[FAIL] {entry.name}: {line} -- {result.reason}"]
    if show_output or not result.passed:
        output = result.output.rstrip().splitlines()
        lines += ["    " + text for text in (output if show_output else output[-OUTPUT_TAIL_LINES:])]
    return lines


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run every entry of the config, print points per entry and in total; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m tools.autograde", description="Run .github/classroom/"
                                     "autograding.json locally, as GitHub Classroom's autograding action does.")
    parser.add_argument("--config", type=Path,
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
    config = args.config or args.root / DEFAULT_CONFIG
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
