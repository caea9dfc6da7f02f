"""Rule 4: the code runs under Python 3.8, the version GitHub Classroom's workflow sets up.

Where a Python 3.8 interpreter exists (`--python38 PATH`, else this interpreter if it is 3.8, `python3.8` on the
PATH, pyenv's versions, `py -3.8`), every .py file of the submission is compiled with it, and when it has numpy,
pytest and matplotlib the graded tests run under it too: a test that passes here but fails there fails the rule.
Without one, a static check: every .py file parses with Python 3.8's grammar (`ast.parse(feature_version=(3, 8))`,
which rejects `match`, parenthesized context managers, `except*`; best effort). In both cases the gaps' code is
read for calls that 3.8 lacks (`str.removeprefix`, `math.lcm`, `itertools.pairwise`, `zip(strict=...)`, ...),
numpy 2 names that numpy 1.24 (the last for 3.8) lacks (`np.concat`, `np.permute_dims`, ...), and annotations that
3.8 cannot evaluate (`list[int]`, `int | None`) in functions a gap defines. The report says which checks ran.

Usage: `python38.check(Repository(root), python38.find_python38(), gap_files, outcomes, deadline)`.
"""
from __future__ import annotations

import ast
import glob
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from tools.submission_rules.common import FAILED, PASSED, RuleResult, plural, result, run_command
from tools.submission_rules.graded_tests import PartOutcome, pytest_arguments, run_pytest
from tools.submission_rules.repository import Repository

KEY, TITLE = "python38", "Python 3.8"
PROBE_TIMEOUT_S, COMPILE_TIMEOUT_S = 20, 60
_PROBE = "import sys; print('%d.%d.%d' % sys.version_info[:3])\ntry:\n    import numpy, pytest, matplotlib\n" \
         "    print('libraries')\nexcept Exception:\n    print('bare')"
_COMPILE = """import json, sys
errors = []
for path in json.load(sys.stdin):
    try:
        with open(path, "rb") as f:
            compile(f.read(), path, "exec", dont_inherit=True)
    except SyntaxError as e:
        errors.append([path, e.lineno or 0, e.msg])
    except (ValueError, OSError) as e:
        errors.append([path, 0, str(e)])
print(json.dumps(errors))
"""
NEWER_NAMES = {  # dotted name -> what has it (Python 3.8 and numpy 1.24 do not)
    "math.lcm": "Python 3.9", "math.nextafter": "Python 3.9", "math.ulp": "Python 3.9",
    "functools.cache": "Python 3.9", "itertools.pairwise": "Python 3.10", "itertools.batched": "Python 3.12",
    "math.sumprod": "Python 3.12", "aiter": "Python 3.10", "anext": "Python 3.10",
    **{f"np.{name}": "numpy 2.0" for name in (
        "concat", "permute_dims", "matrix_transpose", "unstack", "vecdot", "vecmat", "matvec", "astype", "isdtype",
        "cumulative_sum", "cumulative_prod", "trapezoid", "pow", "acos", "asin", "atan", "atan2", "acosh", "asinh",
        "atanh", "bitwise_left_shift", "bitwise_right_shift", "bitwise_invert", "bitwise_count")},
}
NEWER_METHODS = {"removeprefix": "Python 3.9", "removesuffix": "Python 3.9", "bit_count": "Python 3.10"}
GENERIC_BUILTINS = ("list", "dict", "tuple", "set", "frozenset", "type")


class Interpreter(NamedTuple):
    """A Python 3.8 interpreter: how to start it, its version, and whether it can run the tests."""
    argv: Tuple[str, ...]
    version: str
    has_libraries: bool


def probe(argv: Sequence[str]) -> Optional[Interpreter]:
    """The interpreter started by `argv` if it is a Python 3.8, else None."""
    try:
        done = run_command(list(argv) + ["-c", _PROBE], ".", PROBE_TIMEOUT_S)
    except OSError:
        return None
    lines = done.stdout.split()
    if done.code != 0 or not lines or not lines[0].startswith("3.8."):
        return None
    return Interpreter(tuple(argv), lines[0], lines[-1] == "libraries")


def find_python38() -> Optional[Interpreter]:
    """The first Python 3.8 among the usual places (see the module docstring), or None."""
    candidates: List[List[str]] = [[sys.executable]] if sys.version_info[:2] == (3, 8) else []
    on_path = shutil.which("python3.8")
    candidates += [[on_path]] if on_path else []
    pyenv = os.environ.get("PYENV_ROOT") or os.path.join(os.path.expanduser("~"), ".pyenv")
    candidates += [[path] for path in sorted(glob.glob(os.path.join(pyenv, "versions", "3.8*", "bin", "python3.8")))]
    candidates += [["py", "-3.8"]] if os.name == "nt" and shutil.which("py") else []
    for argv in candidates:
        found = probe(argv)
        if found is not None:
            return found
    return None


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append("np" if node.id == "numpy" else node.id)
        return ".".join(reversed(parts))
    return ""


def _annotation_problem(node: ast.AST) -> str:
    for part in ast.walk(node):
        if isinstance(part, ast.BinOp) and isinstance(part.op, ast.BitOr):
            return "an `X | Y` annotation (Python 3.10)"
        if isinstance(part, ast.Subscript) and isinstance(part.value, ast.Name) and part.value.id in GENERIC_BUILTINS:
            return f"a `{part.value.id}[...]` annotation (Python 3.9)"
    return ""


def gap_problems(repo: Repository, files: Sequence[str]) -> List[str]:
    """What the gaps of `files` use that Python 3.8 (with numpy 1.24) lacks: "file:line: what"."""
    problems = []
    for rel in files:
        text, spans = repo.text(rel), repo.gap_lines(rel)
        try:
            tree = ast.parse(text or "")
        except (SyntaxError, ValueError):
            continue
        future = "from __future__ import annotations" in (text or "")
        for node in ast.walk(tree):
            line = getattr(node, "lineno", 0)
            if not any(start < line < end for start, end in spans):
                continue
            name = _dotted(node) if isinstance(node, (ast.Attribute, ast.Name)) else ""
            if name in NEWER_NAMES:
                problems.append(f"{rel}:{line}: {name} needs {NEWER_NAMES[name]}")
            elif isinstance(node, ast.Attribute) and node.attr in NEWER_METHODS and name not in NEWER_NAMES:
                problems.append(f"{rel}:{line}: .{node.attr}() needs {NEWER_METHODS[node.attr]}")
            elif isinstance(node, ast.Call) and _dotted(node.func) == "zip" and any(
                    keyword.arg == "strict" for keyword in node.keywords):
                problems.append(f"{rel}:{line}: zip(strict=...) needs Python 3.10")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not future:
                arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
                annotations = [a.annotation for a in arguments if a.annotation] + ([node.returns] if node.returns
                                                                                   else [])
                for annotation in annotations:
                    found = _annotation_problem(annotation)
                    if found:
                        problems.append(f"{rel}:{annotation.lineno}: {found}, evaluated when {node.name} is defined")
    return sorted(set(problems), key=lambda text: (text.split(":")[0], int(text.split(":")[1])))


def _statement_line(text: str, fallback: int) -> int:
    """Where a statement newer than 3.8 starts (`match`, `try` with `except*`): the parser names its end."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return fallback
    newer = tuple(getattr(ast, name) for name in ("Match", "TryStar") if hasattr(ast, name))
    return min((node.lineno for node in ast.walk(tree) if newer and isinstance(node, newer)), default=fallback)


def _grammar_problems(repo: Repository, files: Sequence[str]) -> List[str]:
    problems = []
    for rel in files:
        text = repo.text(rel) or ""
        try:
            ast.parse(text, rel, feature_version=(3, 8))
        except SyntaxError as error:
            problems.append(_where(rel, _statement_line(text, error.lineno or 0), error.msg))
        except ValueError as error:
            problems.append(_where(rel, 0, str(error)))
    return problems


def _where(rel: str, line: int, message: str) -> str:
    """ "file:line: message", or "file: message" where the line is unknown (0)."""
    return f"{rel}:{line}: {message}" if line else f"{rel}: {message}"


def _tests_under(interpreter: Interpreter, repo: Repository, outcomes: Sequence[PartOutcome],
                 deadline: float) -> Tuple[str, List[str]]:
    """Run the graded tests under 3.8; (what ran, the tests that fail there but passed here)."""
    arguments: List[str] = []
    for outcome in outcomes:
        arguments += pytest_arguments(outcome.part.command) or []
    left = deadline - time.monotonic()
    if not arguments or left < 5:
        return "not tested under it (no time was left)", []
    work = Path(tempfile.mkdtemp(prefix="check_submission_"))
    try:
        done, tests = run_pytest(interpreter.argv, repo.root, arguments, left, work)
    finally:
        shutil.rmtree(str(work), ignore_errors=True)
    if done.code is None:
        return "not tested under it (the tests ran past the time left)", []
    passed_here = {test.id for outcome in outcomes for test in outcome.tests if test.outcome == "passed"}
    only = [f"{test.name}: {test.message or 'failed'} (passes under Python {sys.version.split()[0]})"
            for test in tests if test.outcome == "failed" and test.id in passed_here]
    return f"{plural(len(tests), 'test')} run under it", only


def check(repo: Repository, interpreter: Optional[Interpreter], gap_files: Sequence[str],
          outcomes: Sequence[PartOutcome], deadline: float) -> RuleResult:
    """Check the submission against Python 3.8 (see the module docstring).

    Args:
        repo: the submission.
        interpreter: the Python 3.8 to use, or None for the static check only.
        gap_files: the files with gaps (their gaps are read for calls 3.8 lacks).
        outcomes: the graded tests' outcomes under this interpreter (rule 5), to compare with 3.8's.
        deadline: when the tests under 3.8 must be done (time.monotonic()).
    """
    python_files = [rel for rel in repo.files if rel.endswith(".py")]
    in_gaps = gap_problems(repo, gap_files)
    calls = "no newer API in the gaps" if not in_gaps else f"{plural(len(in_gaps), 'newer API')} in the gaps"
    if interpreter is None:
        grammar = _grammar_problems(repo, python_files)
        how = f"static check only (no Python 3.8 interpreter found): {plural(len(python_files), '.py file')} " \
              f"parsed with 3.8's grammar; {calls}"
        problems, ran = grammar + in_gaps, ["static"]
    else:
        done = run_command(list(interpreter.argv) + ["-c", _COMPILE], str(repo.root), COMPILE_TIMEOUT_S,
                           stdin_text=json.dumps(python_files))
        failed = f"the compile run failed: {done.stderr.strip()[-200:]}"
        try:
            errors = json.loads(done.stdout) if done.code == 0 else [["", 0, failed]]
        except ValueError:
            errors = [["", 0, "the compile run gave no report"]]
        problems = [_where(path, line, message) if path else message for path, line, message in errors] + in_gaps
        tests_note, only = ("not tested under it (it lacks numpy, pytest or matplotlib)", []) \
            if not interpreter.has_libraries else _tests_under(interpreter, repo, outcomes, deadline)
        problems += only
        how = f"{plural(len(python_files), '.py file')} compiled with Python {interpreter.version} " \
              f"({' '.join(interpreter.argv)}); {tests_note}; {calls}"
        ran = ["compile"] + (["tests"] if interpreter.has_libraries else []) + ["static"]
    data: Dict[str, object] = {"interpreter": " ".join(interpreter.argv) if interpreter else None,
                               "checks": ran, "problems": problems}
    if problems:
        return result(KEY, TITLE, FAILED, f"{plural(len(problems), 'problem')}; {how}", problems, **data)
    return result(KEY, TITLE, PASSED, how, **data)
