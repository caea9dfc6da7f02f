"""Run the GitHub Classroom autograding locally, to predict a grade before pushing: `python -m tools.autograde`.

It reads whichever form of the configuration the repository has, the workflow's steps first:
* `.github/workflows/classroom.yml` in the form GitHub Classroom generates today: one
  `classroom-resources/autograding-command-grader@v1` (or `-io-grader`) step per test, with `test-name`,
  `setup-command`, `command`, `timeout` (minutes) and `max-score`, and an
  `autograding-grading-reporter@v1` step that counts the steps named in its `runners` (each mapped in its
  env as `<ID>_RESULTS: "${{steps.<id>.outputs.result}}"`). A step passes when its command exits with 0
  within `timeout` minutes (the setup gets its own `timeout`) and earns its `max-score`; an io-grader step
  also compares its trimmed stdout with `expected-output` (exact, contains or regex). The commands get
  the graders' environment: PATH, HOME, FORCE_COLOR=true and the two DOTNET variables they set.
  The workflow is read with a small reader of the YAML that workflows use (block mappings and lists,
  plain, quoted and block scalars, `[a, b]`), so PyYAML is not needed.
* `.github/classroom/autograding.json` (the older form, read by `education/autograding@v1`, used when the
  workflow has no grader steps): `setup` and `run` in a shell within `timeout` minutes together, with only
  PATH and FORCE_COLOR=true set; an entry passes, earning its `points`, when both exit with 0 and the
  stdout (line endings made Unix ones, stripped) includes `output`, with `input` on stdin.
Commands run in a shell in the repository root (`--inherit-env` gives them your whole environment).
Anything but the fields and comparisons above is refused in one line rather than graded differently.
The setup commands (`pip install`: slow, need the network, change your environment) run only with
`--with-setup`. The points per test and the total are printed as the grader reports them.
Exit status: 0 if every test passed, 1 if any failed, 2 if the configuration is invalid or unsupported.

Usage: python -m tools.autograde [--config FILE] [--root DIR] [--with-setup] [--inherit-env] [--show-output]
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
from typing import Dict, List, Optional, Sequence, Tuple

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = Path(".github") / "classroom" / "autograding.json"
DEFAULT_WORKFLOW = Path(".github") / "workflows" / "classroom.yml"
DEFAULT_TIMEOUT_MINUTES = 1  # the education/autograding action's fallback when an entry has no (or a zero) timeout
GRADER_TIMEOUT_MINUTES = 10  # the graders' default `timeout`
OUTPUT_TAIL_LINES = 25
NUMBER = (int, float)
FIELDS = {"name": str, "run": str, "setup": str, "input": str, "output": str, "comparison": str,
          "timeout": NUMBER, "points": NUMBER}

# How each runner treats a test: the old action (autograding.json) and the workflow's two graders.
AUTOGRADING, COMMAND_GRADER, IO_GRADER = "autograding", "command-grader", "io-grader"
GRADER_ACTIONS = {"autograding-command-grader": COMMAND_GRADER, "autograding-io-grader": IO_GRADER}
REPORTER_ACTION = "autograding-grading-reporter"
ACTION_OWNERS = ("classroom-resources", "education")  # the same actions are published under both names
GRADER_FIELDS = {COMMAND_GRADER: {"test-name", "setup-command", "command", "timeout", "max-score"},
                 IO_GRADER: {"test-name", "setup-command", "command", "timeout", "max-score", "input",
                             "expected-output", "comparison-method"}}
IO_COMPARISONS = ("exact", "contains", "regex")


class AutogradingConfigError(ValueError):
    """The autograding configuration is missing or unreadable, or a test in it is malformed or unsupported."""


@dataclass(frozen=True)
class Entry:
    """One test of the configuration (see the module docstring for how it is run and graded).

    `comparison` is how the stdout is compared with `output`: "included" (autograding.json), "" (not
    compared: the command grader), or "exact"/"contains"/"regex" (the io grader); `action` is the runner
    that grades it (AUTOGRADING, COMMAND_GRADER or IO_GRADER), which sets the environment and time limits.
    """

    name: str
    run: str
    setup: str = ""
    input: str = ""
    output: str = ""
    timeout_minutes: float = DEFAULT_TIMEOUT_MINUTES
    points: float = 0
    comparison: str = "included"
    action: str = AUTOGRADING


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


# ---------------------------------------------------------------- a small reader of workflow YAML

class _YamlReader:
    """Block mappings and sequences, plain / quoted / block (`|`, `>`) scalars, `[a, b]` and `{}`.

    Every scalar stays a string (an action's inputs are strings anyway). Anchors, aliases, tags and
    nested flow collections are refused, naming the line.
    """

    def __init__(self, text: str, where: str):
        self.lines = text.splitlines()
        self.where = where
        self.index = 0
        self.virtual: Dict[int, Tuple[int, str]] = {}  # line index -> (indent, text) after a "- " is taken

    def error(self, message: str, index: Optional[int] = None) -> AutogradingConfigError:
        line = (self.index if index is None else index) + 1
        return AutogradingConfigError(f"{self.where}:{line}: {message}")

    def peek(self) -> Optional[Tuple[int, str]]:
        """(indent, text) of the next line that is not blank or a comment, or None at the end."""
        while self.index < len(self.lines):
            if self.index in self.virtual:
                return self.virtual[self.index]
            raw = self.lines[self.index]
            text = raw.lstrip(" ")
            if text.startswith("\t"):
                raise self.error("tabs are not allowed in YAML indentation")
            if text.strip() and not text.startswith("#") and text.rstrip() not in ("---", "..."):
                return len(raw) - len(text), text.rstrip()
            self.index += 1
        return None

    def document(self) -> object:
        first = self.peek()
        if first is None:
            return None
        value = self.block(first[0])
        if self.peek() is not None:
            raise self.error("unexpected indentation")
        return value

    def block(self, indent: int) -> object:
        text = self.peek()[1]
        return self.sequence(indent) if text == "-" or text.startswith("- ") else self.mapping(indent)

    def mapping(self, indent: int) -> Dict[str, object]:
        result: Dict[str, object] = {}
        while True:
            line = self.peek()
            if line is None or line[0] < indent or (line[0] == indent and (line[1] == "-" or
                                                                           line[1].startswith("- "))):
                return result
            if line[0] > indent:
                raise self.error("unexpected indentation")
            key, rest = self.split_key(line[1])
            if key in result:
                raise self.error(f"duplicate key {key!r}")
            self.index += 1
            result[key] = self.value(rest, indent)

    def sequence(self, indent: int) -> List[object]:
        items: List[object] = []
        while True:
            line = self.peek()
            if line is None or line[0] < indent or not (line[1] == "-" or line[1].startswith("- ")):
                if line is not None and line[0] > indent:
                    raise self.error("unexpected indentation")
                return items
            if line[0] > indent:
                raise self.error("unexpected indentation")
            rest = line[1][1:]
            inline = rest.lstrip(" ")
            if not inline or inline.startswith("#"):
                self.index += 1
                nested = self.peek()
                items.append(self.block(nested[0]) if nested is not None and nested[0] > indent else "")
            elif self.key_of(inline) is not None:  # "- key: value": a mapping that starts on this line
                self.virtual[self.index] = (indent + 1 + len(rest) - len(inline), inline)
                items.append(self.mapping(indent + 1 + len(rest) - len(inline)))
            else:
                self.index += 1
                items.append(self.value(inline, indent))

    def key_of(self, text: str) -> Optional[Tuple[str, str]]:
        """(key, rest) when `text` is `key: rest` or `key:` (the key plain or quoted), else None."""
        if text[:1] in ("'", '"'):
            found = self.quoted(text)
            if found is None:
                return None
            key, end = found
            rest = text[end:]
            if rest == ":" or rest.startswith(": "):
                return key, rest[1:].strip()
            return None
        match = re.match(r"([^#\[\]{},&*!|>'\"%@`][^#]*?)\s*:(?:\s+(.*))?$", text)
        return (match.group(1), (match.group(2) or "").strip()) if match else None

    def split_key(self, text: str) -> Tuple[str, str]:
        found = self.key_of(text)
        if found is None:
            raise self.error(f"expected 'key: value', got {text!r}")
        return found

    def value(self, rest: str, indent: int) -> object:
        """The value after `key:` (or `- `) on the line just taken: scalar, block scalar or nested block."""
        if not rest or rest.startswith("#"):
            nested = self.peek()
            if nested is not None and nested[0] > indent:
                return self.block(nested[0])
            if nested is not None and nested[0] == indent and (nested[1] == "-" or nested[1].startswith("- ")):
                return self.sequence(indent)  # `key:` followed by `- item` at the key's own indentation
            return ""
        if rest[0] in "|>":
            return self.block_scalar(rest, indent)
        if rest[0] in "&*!":
            raise self.error(f"anchors, aliases and tags are not supported: {rest!r}", self.index - 1)
        if rest[0] == "[":
            return self.flow_sequence(rest)
        if rest[0] == "{":
            if re.fullmatch(r"\{\s*\}(\s+#.*)?", rest):
                return {}
            raise self.error("flow mappings are not supported (write the mapping as a block)", self.index - 1)
        if rest[0] in ("'", '"'):
            return self.quoted_value(rest, indent)
        return self.plain(rest, indent)

    def continuation(self, indent: int) -> List[str]:
        """The lines that continue a scalar: more indented than its key, up to the next key or item."""
        parts = []
        while self.index < len(self.lines):
            raw = self.lines[self.index]
            text = raw.strip()
            if text and len(raw) - len(raw.lstrip(" ")) <= indent:
                break
            if text.startswith("#"):
                break
            parts.append(text)
            self.index += 1
        while parts and not parts[-1]:
            parts.pop()
        return parts

    @staticmethod
    def fold(parts: List[str]) -> str:
        """YAML's line folding: single line breaks become spaces, empty lines become line breaks."""
        text = ""
        for part in parts:
            text += ("\n" if not part else (" " if text and not text.endswith("\n") else "") + part)
        return text

    def plain(self, rest: str, indent: int) -> str:
        first = re.sub(r"\s+#.*$", "", rest).strip()
        start = self.index
        more = self.continuation(indent)
        for offset, text in enumerate(more):
            if text and self.key_of(text) is not None:  # `key: value` cannot go on a plain scalar
                raise self.error("unexpected indentation", start + offset)
        return self.fold([first] + more)

    def quoted(self, text: str) -> Optional[Tuple[str, int]]:
        """The value of the quoted scalar that opens `text` and the index after its closing quote; None if the
        closing quote is not on this text."""
        quote, i, value = text[0], 1, ""
        escapes = {"\\": "\\", '"': '"', "/": "/", "n": "\n", "t": "\t", "r": "\r", "0": "\0", " ": " "}
        while i < len(text):
            char = text[i]
            if quote == "'" and char == "'":
                if text[i + 1:i + 2] != "'":
                    return value, i + 1
                value, i = value + "'", i + 2
            elif quote == '"' and char == '"':
                return value, i + 1
            elif quote == '"' and char == "\\":
                escape = text[i + 1:i + 2]
                if escape not in escapes:
                    raise self.error(f"unsupported escape \\{escape} in a double-quoted string")
                value, i = value + escapes[escape], i + 2
            else:
                value, i = value + char, i + 1
        return None

    def quoted_value(self, rest: str, indent: int) -> str:
        start = self.index - 1
        found = self.quoted(rest)
        while found is None:
            more = self.continuation(indent)  # a quoted string may go on over more indented lines
            if not more:
                raise self.error(f"unterminated quoted string: {rest!r}", start)
            rest = rest + " " + self.fold(more)
            found = self.quoted(rest)
        value, end = found
        tail = rest[end:].strip()
        if tail and not tail.startswith("#"):
            raise self.error(f"unexpected text after a quoted string: {tail!r}", start)
        return value

    def flow_sequence(self, rest: str) -> List[str]:
        match = re.fullmatch(r"\[([^\[\]{}]*)\](\s+#.*)?", rest)
        if not match:
            raise self.error(f"only flat flow sequences like [a, b] are supported, got {rest!r}", self.index - 1)
        items = []
        for item in (part.strip() for part in match.group(1).split(",")):
            found = self.quoted(item) if item[:1] in ("'", '"') else (item, len(item))
            if found is None or found[1] != len(item):
                raise self.error(f"malformed item {item!r} in {rest!r}", self.index - 1)
            if item:
                items.append(found[0])
        return items

    def block_scalar(self, header: str, indent: int) -> str:
        match = re.fullmatch(r"([|>])([+-]?)([1-9]?)([+-]?)(\s+#.*)?", header)
        if not match:
            raise self.error(f"malformed block scalar header {header!r}", self.index - 1)
        literal, chomp = match.group(1) == "|", match.group(2) or match.group(4)
        lines = []
        while self.index < len(self.lines):
            raw = self.lines[self.index]
            if raw.strip() and len(raw) - len(raw.lstrip(" ")) <= indent:
                break
            lines.append(raw)
            self.index += 1
        widths = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
        width = indent + int(match.group(3)) if match.group(3) else min(widths, default=0)
        content = [line[width:] if line.strip() else "" for line in lines]
        trailing = 0
        while content and not content[-1]:
            content.pop()
            trailing += 1
        if not content:
            return ""
        text = "\n".join(content) if literal else self.fold(content)
        return text if chomp == "-" else text + "\n" * (trailing + 1 if chomp == "+" else 1)


def parse_yaml(text: str, where: str = "<yaml>") -> object:
    """Parse the YAML subset that workflows use into dicts, lists and strings.

    Raises:
        AutogradingConfigError: `<where>:<line>: <what>` for anything outside the subset.
    """
    return _YamlReader(text, where).document()


# ---------------------------------------------------------------- the workflow's grader steps

def _action_name(uses: object) -> Optional[str]:
    """"autograding-command-grader" for "classroom-resources/autograding-command-grader@v1", else None."""
    match = re.fullmatch(r"([\w.-]+)/([\w.-]+)@[\w./-]+", uses.strip()) if isinstance(uses, str) else None
    return match.group(2) if match and match.group(1) in ACTION_OWNERS else None


def workflow_steps(data: object, where: str) -> List[dict]:
    """Every step of every job of a parsed workflow, in order."""
    jobs = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs, dict):
        raise AutogradingConfigError(f"{where}: a workflow needs a 'jobs' mapping")
    steps = []
    for job_id, job in jobs.items():
        job_steps = job.get("steps", []) if isinstance(job, dict) else None
        if not isinstance(job_steps, list) or not all(isinstance(step, dict) for step in job_steps):
            raise AutogradingConfigError(f"{where}: jobs.{job_id}.steps must be a list of steps")
        steps += job_steps
    return steps


def has_grader_steps(path: Path) -> bool:
    """Whether the workflow file uses the grading reporter or a grader (so it, not autograding.json, grades)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return False
    return any(name in text for name in list(GRADER_ACTIONS) + [REPORTER_ACTION])


def _number(value: object, field: str, where: str, whole: bool) -> float:
    text = str(value).strip()
    if not re.fullmatch(r"\d+" if whole else r"\d+(\.\d*)?|\.\d+", text):
        kind = "a whole number >= 0" if whole else "a number of minutes > 0"
        raise AutogradingConfigError(f"{where}: {field} must be {kind}, got {value!r}")
    return int(text) if whole else float(text)


def _grader_entry(step: dict, action: str, where: str) -> Entry:
    """The `Entry` of one grader step (its `with:` inputs checked one by one)."""
    inputs = step.get("with", {})
    if not isinstance(inputs, dict):
        raise AutogradingConfigError(f"{where}: 'with' must be a mapping of inputs")
    for key in inputs:
        if key not in GRADER_FIELDS[action]:
            raise AutogradingConfigError(f"{where}: input {key!r} is not supported by this tool")
    values = {key: str(value).strip() for key, value in inputs.items()}  # the actions trim their inputs
    required = ("test-name", "command") + (("expected-output", "comparison-method") if action == IO_GRADER else ())
    for key in required:
        if not values.get(key):
            raise AutogradingConfigError(f"{where}: input {key!r} is missing")
    timeout = _number(values["timeout"], "timeout", where, whole=False) if values.get("timeout") \
        else GRADER_TIMEOUT_MINUTES
    if timeout <= 0:
        raise AutogradingConfigError(f"{where}: timeout must be a number of minutes > 0, got {values['timeout']!r}")
    points = _number(values["max-score"], "max-score", where, whole=True) if values.get("max-score") else 0
    comparison = values.get("comparison-method", "")
    if action == IO_GRADER and comparison not in IO_COMPARISONS:
        raise AutogradingConfigError(f"{where}: comparison-method {comparison!r} is not one of "
                                     f"{', '.join(IO_COMPARISONS)}")
    return Entry(values["test-name"], values["command"], values.get("setup-command", ""), values.get("input", ""),
                 values.get("expected-output", ""), timeout, points, comparison, action)


def load_workflow(path: Path) -> List[Entry]:
    """Read the grader steps of a GitHub Classroom workflow, in the order its reporter's `runners` lists them.

    Only the steps the reporter counts are returned (a grader step it does not list earns nothing). The
    reporter reads each runner's result from its env variable `<ID in capitals>_RESULTS`, which must map
    `${{steps.<id>.outputs.result}}`: a workflow that breaks this would report no grade, so it is refused.

    Raises:
        AutogradingConfigError: one line naming the file (and line, or step) and the problem.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise AutogradingConfigError(f"cannot read workflow {path}: {error}") from None
    steps = workflow_steps(parse_yaml(text, str(path)), str(path))
    reporters = [step for step in steps if _action_name(step.get("uses")) == REPORTER_ACTION]
    if len(reporters) != 1:
        raise AutogradingConfigError(f"{path}: expected one {REPORTER_ACTION} step, found {len(reporters)}")
    by_id: Dict[str, dict] = {}
    for step in steps:
        if "id" in step:
            if step["id"] in by_id:
                raise AutogradingConfigError(f"{path}: two steps have the id {step['id']!r}")
            by_id[str(step["id"])] = step
    reporter = reporters[0]
    runners_text = reporter.get("with", {}).get("runners", "") if isinstance(reporter.get("with"), dict) else ""
    runners = [runner.strip() for runner in str(runners_text).split(",") if runner.strip()]
    env = reporter.get("env", {}) if isinstance(reporter.get("env"), dict) else {}
    if not runners:
        raise AutogradingConfigError(f"{path}: the reporter step lists no runners (with: runners: id1,id2,...)")
    if len(set(runners)) != len(runners):
        raise AutogradingConfigError(f"{path}: the reporter lists a runner twice: {runners_text}")
    entries = []
    for runner in runners:
        where = f"{path}: step {runner!r}"
        step = by_id.get(runner)
        action = GRADER_ACTIONS.get(_action_name(step.get("uses")) or "") if step else None
        if step is None or action is None:
            raise AutogradingConfigError(f"{where}: the reporter lists it, but no grader step has this id")
        variable = f"{runner.upper()}_RESULTS"
        if not re.fullmatch(r"\$\{\{\s*steps\." + re.escape(runner) + r"\.outputs\.result\s*\}\}",
                            str(env.get(variable, "")).strip()):
            raise AutogradingConfigError(f'{where}: the reporter needs env {variable}: '
                                         f'"${{{{steps.{runner}.outputs.result}}}}"')
        entries.append(_grader_entry(step, action, where))
    return entries


def load_entries(path: Path) -> List[Entry]:
    """The tests of a configuration file: a workflow (.yml/.yaml) or autograding.json (anything else)."""
    return load_workflow(path) if Path(path).suffix in (".yml", ".yaml") else load_config(path)


def default_config(root: Path) -> Path:
    """The workflow when it has grader steps (GitHub Classroom's current form), else autograding.json."""
    workflow = Path(root) / DEFAULT_WORKFLOW
    return workflow if has_grader_steps(workflow) else Path(root) / DEFAULT_CONFIG


# ---------------------------------------------------------------- running and reporting

def classroom_environment(action: str = AUTOGRADING) -> Dict[str, str]:
    """The runner's environment: PATH and FORCE_COLOR=true; the graders add HOME and two DOTNET variables
    (on Windows also what cmd.exe and Python need)."""
    windows = ("SYSTEMROOT", "COMSPEC", "PATHEXT", "TEMP", "TMP") if os.name == "nt" else ()
    env = {"PATH": os.environ.get("PATH", ""), "FORCE_COLOR": "true"}
    if action != AUTOGRADING:
        env.update({"DOTNET_CLI_HOME": "/tmp", "DOTNET_NOLOGO": "true", "HOME": os.environ.get("HOME", "")})
    return {**env, **{key: os.environ[key] for key in windows if key in os.environ}}


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


def output_matches(entry: Entry, stdout: str) -> bool:
    """Whether the stdout passes the entry's comparison (line endings made Unix ones, stripped)."""
    actual, expected = (text.replace("\r\n", "\n").strip() for text in (stdout, entry.output))
    if entry.comparison == "included":
        return expected in actual
    if entry.comparison == "exact":
        return actual == expected
    if entry.comparison == "contains":
        return expected in actual
    if entry.comparison == "regex":
        return re.search(expected, actual) is not None
    return True  # the command grader compares nothing: the exit status decides


def run_entry(entry: Entry, cwd: Path, with_setup: bool = False, env: Optional[Dict[str, str]] = None) -> Result:
    """Run one entry as its runner does: setup, then run, within the time limit.

    autograding.json's action gives setup and run one limit together; the graders give each its own.

    Args:
        entry: the entry.
        cwd: the repository root, where the commands run.
        with_setup: run the entry's setup command first (default False: it is assumed done).
        env: the commands' environment; default `classroom_environment(entry.action)`.

    Returns:
        The `Result`: passed when every command exited with 0 in time and the output passed the comparison.
    """
    env = classroom_environment(entry.action) if env is None else env
    start = time.monotonic()
    stages = [("setup", entry.setup, "")] if with_setup and entry.setup else []
    log = stdout = ""
    for stage, command, stdin_text in stages + [("run", entry.run, entry.input)]:
        since = start if entry.action == AUTOGRADING else time.monotonic()
        time_left = entry.timeout_minutes * 60 - (time.monotonic() - since)
        code, stdout, stderr = _run_shell(command, cwd, env, stdin_text, time_left)
        log += stdout + stderr
        if code != 0:
            reason = f"timed out after {entry.timeout_minutes:g} min" if code is None else f"exited with code {code}"
            return Result(False, f"{stage} {reason}", time.monotonic() - start, log)
    passed = output_matches(entry, stdout)
    return Result(passed, "" if passed else f"output did not match ({entry.comparison})", time.monotonic() - start,
                  log)


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
    """Run every test of the configuration, print points per test and in total; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m tools.autograde", description="Run the GitHub Classroom "
                                     "autograding (.github/workflows/classroom.yml's grader steps, or "
                                     ".github/classroom/autograding.json) locally, as GitHub Classroom does.")
    parser.add_argument("--config", type=Path,
                        help="workflow (.yml) or autograding.json to run (default: <root>/.github/workflows/"
                             "classroom.yml if it has grader steps, else <root>/.github/classroom/autograding.json)")
    parser.add_argument("--root", type=Path, default=REPO_ROOT,
                        help="directory the commands run in (default: this repository)")
    parser.add_argument("--with-setup", action="store_true",
                        help="also run each test's setup command (pip install: slow, needs the network, "
                             "installs into the current environment)")
    parser.add_argument("--inherit-env", action="store_true",
                        help="give the commands your whole environment instead of the runner's PATH-only one")
    parser.add_argument("--show-output", action="store_true", help="print every test's output")
    args = parser.parse_args(argv)
    config = args.config or default_config(args.root)
    try:
        entries = load_entries(config)
    except AutogradingConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    env = dict(os.environ) if args.inherit_env else None
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
