"""Write the student repository (the handout) from this reference solution: `python -m tools.make_handout DIR`.

One source: the handout is generated from the reference's own files, never kept as a second copy.
* The course's 13 lib modules and the exercise's five root scripts are transformed (`strip_text`): every
  gap, `# START TODO ################` ... `# END TODO ################`, keeps its START line, its hint
  (the comment lines right after START) and its END line, and its solution becomes `raise
  NotImplementedError` at the markers' indentation; every region between `# BEGIN REFERENCE ONLY ...` and
  `# END REFERENCE ONLY ...` is dropped with its markers. Every lib module they still import (found with
  `ast` in the transformed text, transitively, package `__init__.py` files included) is shipped,
  transformed the same way; nothing else from lib/.
* tests/handout/* becomes tests/* (not `__init__.py`); requirements.txt, runtests.sh, runtests.bat,
  tools/autograde.py (students predict their grade) and tools/style_excludes.py (runtests.sh calls it)
  are copied as they are, setup.cfg keeps only its pycodestyle and pytest sections, data/ is copied.
* From tools/handout_files/: the student README.md (its gap and grading sections generated), a blank
  feedback.md and the .gitignore; and the GitHub Classroom workflow, in the form Classroom generates,
  one command-grader step per graded part of `GRADED_PARTS`, then the grading reporter.
The same commit gives a byte-identical tree: files are read from the working tree (build from a clean
checkout), walked in sorted order, written with fixed modes (0o644, 0o755 where the source is
executable), with no timestamps and no absolute paths. A malformed marker (START without END, nested
markers, markers of different indentation, a reference-only region inside a gap) or a transformed file
that no longer compiles is an error naming file:line, and nothing is written.

Usage:
    python -m tools.make_handout DIR [--force] [--root ROOT]
DIR must be empty or new (`--force` empties it first, all but a `.git`). Exit status: 0 when written, 1 on a malformed
source, 2 on bad usage. `find_gaps`, `strip_text`, `plan_handout`, `build_handout`, `GAPS` and
`GRADED_PARTS` are for other tools (a checker that fills the gaps, the grading configuration).
"""
from __future__ import annotations

import argparse
import ast
import io
import os
import re
import shutil
import sys
import tokenize
from pathlib import Path
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple

from tools.gaps import GAPS as GAP_TABLE

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = "tools/handout_files"  # in the reference, like every other source
COURSE_MODULES = tuple(f"lib/{name}.py" for name in (
    "__init__", "activations", "convolution_warmup", "convolutions", "dataset_mnist", "experiments", "losses",
    "model_evaluation", "model_training", "network", "network_base", "optimizers", "plot_images", "utilities"))
ROOT_SCRIPTS = ("plot_mnist.py", "show_conv_output_dims.py", "run_simple_conv.py", "run_conv_experiment.py",
                "run_shifted_conv_experiment.py")
COPIED_AS_IS = ("requirements.txt", "runtests.sh", "runtests.bat", "tools/__init__.py", "tools/autograde.py",
                "tools/style_excludes.py")
HANDOUT_TESTS = "tests/handout"
DATA_DIR = "data"
SETUP_CFG_SECTIONS = ("pycodestyle", "tool:pytest")  # what students need; the reference's tool sections stay
TEMPLATE_FILES = {"README.md": "README.md", "feedback.md": "feedback.md", "gitignore": ".gitignore"}
READ_FROM = ("lib", "tests", "data", "tools", ".github", ".git")  # DIR may not lie inside these
WORKFLOW_PATH = ".github/workflows/classroom.yml"
PYTHON_VERSION = "3.8"  # the sheet's version: the graded run checks that the code runs on it
SETUP_COMMAND = "pip install -r requirements.txt"
TIMEOUT_MINUTES = 10


class GapSpec(NamedTuple):
    """One of the exercise's gaps: its name (used by tools, test markers, catalogue), file and function."""
    name: str
    file: str
    function: str
    part_of: str = ""  # e.g. "the MLP part" when the gap is only a part of the function


class GradedPart(NamedTuple):
    """One graded part of the sheet: the workflow step's id and test name, its tests, points and gaps."""
    id: str
    name: str
    test_files: Tuple[str, ...]
    points: int
    gaps: Tuple[str, ...]

    @property
    def command(self) -> str:
        return "python -m pytest " + " ".join(self.test_files)


GAPS = tuple(GapSpec(name, gap.file, gap.function, gap.part_of) for name, gap in GAP_TABLE.items())
GRADED_PARTS = (  # the sheet's points
    GradedPart("output-size", "output size", ("tests/test_conv_output_size.py",), 1, ("conv_output",)),
    GradedPart("warm-up", "warm-up", ("tests/test_convolution_warmup.py",), 2,
               ("pad_array", "single_filter", "single_filter_batch", "multi_filter_batch")),
    GradedPart("forward", "Conv2d.forward", ("tests/test_conv_layer.py",), 2, ("conv_forward",)),
    GradedPart("create-conv-model", "create_conv_model", ("tests/test_conv_model.py",), 2, ("conv_model",)),
    GradedPart("shifted-experiment", "shifted experiment", ("tests/test_shifted_experiment.py",), 2,
               ("shifted_mlp", "shift_data")),
)


class HandoutError(ValueError):
    """A source the handout is made from is malformed or missing; the message names file:line."""


class UsageError(HandoutError):
    """The command was used wrongly (DIR not empty, DIR inside the sources); exit status 2."""


class Gap(NamedTuple):
    """A gap: the lines (1-based) of its START and END markers, the markers' indentation, its hint lines."""
    start: int
    end: int
    indent: str
    hint: Tuple[str, ...]


class Region(NamedTuple):
    """A reference-only region: the lines (1-based) of its BEGIN and END markers."""
    start: int
    end: int


class LocatedGap(NamedTuple):
    """A gap of a handout file: its name in GAPS (None if it is none of them), file, function and markers."""
    name: Optional[str]
    file: str
    function: str
    gap: Gap


class Handout(NamedTuple):
    """What the handout holds: {relative path: (content, mode)}, and its gaps."""
    files: Dict[str, Tuple[bytes, int]]
    gaps: List[LocatedGap]


# ---------------------------------------------------------------- markers and the per-file transformation

_OPENS = {"START TODO": "END TODO", "BEGIN REFERENCE ONLY": "END REFERENCE ONLY"}
_MARKER = re.compile(r"# (START TODO|END TODO|BEGIN REFERENCE ONLY|END REFERENCE ONLY)(?: #+)?")
_MARKER_LIKE = re.compile(r"#+\s*(START\s*TODO|END\s*TODO|BEGIN\s*REFERENCE\s*ONLY|END\s*REFERENCE\s*ONLY)\b",
                          re.IGNORECASE)


def _lines(text: str) -> List[str]:
    """The lines with their endings, split as the tokenizer splits them (at "\\n" only)."""
    return io.StringIO(text).readlines()


def _comment_lines(text: str, filename: str) -> Dict[int, str]:
    """{line number: comment} for the lines that hold nothing but a comment (never text inside a string)."""
    comments = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT and not token.line[:token.start[1]].strip():
                comments[token.start[0]] = token.string.rstrip()
    except (tokenize.TokenError, SyntaxError) as error:
        _parse(text, filename)  # names the line of the syntax error, where the tokenizer names the end
        line = getattr(error, "lineno", None) or error.args[1][0]
        raise HandoutError(f"{filename}:{line}: cannot be read as Python ({error.args[0]})") from None
    return comments


def parse_markers(text: str, filename: str = "<text>") -> Tuple[List[Gap], List[Region]]:
    """The gaps and reference-only regions of a Python source, checked.

    Markers are comment-only lines; a comment that starts like one but is not written exactly as the
    template writes it (`# START TODO` with optional ` ####...`) is an error, so no solution leaks
    through a typo.

    Raises:
        HandoutError: `<filename>:<line>: <what>` for a malformed marker, an opening marker without its
            end, nested markers (a reference-only region inside a gap included), or an end marker with
            another indentation than its opening one.
    """
    lines = [line.rstrip("\r\n") for line in _lines(text)]
    comments = _comment_lines(text, filename)
    gaps, regions = [], []
    opened: Optional[Tuple[str, int, str]] = None  # (marker, line, indent)
    for number in sorted(comments):
        comment = comments[number]
        if not _MARKER_LIKE.match(comment):
            continue
        match = _MARKER.fullmatch(comment)
        if not match:
            raise HandoutError(f"{filename}:{number}: malformed marker {comment!r} (write it as "
                               f"'# START TODO ################', '# END TODO ################', "
                               f"'# BEGIN REFERENCE ONLY ################' or '# END REFERENCE ONLY ################')")
        marker, indent = match.group(1), lines[number - 1][:len(lines[number - 1]) - len(lines[number - 1].lstrip())]
        if marker in _OPENS:
            if opened is not None:
                what = "a reference-only region inside a gap" if opened[0] == "START TODO" and \
                    marker.startswith("BEGIN") else "nested markers"
                raise HandoutError(f"{filename}:{number}: {what}: {marker} before the {_OPENS[opened[0]]} "
                                   f"of the {opened[0]} at line {opened[1]}")
            opened = (marker, number, indent)
            continue
        if opened is None or _OPENS[opened[0]] != marker:
            expected = [start for start, end in _OPENS.items() if end == marker][0]
            after = f" (the {opened[0]} at line {opened[1]} is still open)" if opened else ""
            raise HandoutError(f"{filename}:{number}: {marker} without a {expected} before it{after}")
        if indent != opened[2]:
            raise HandoutError(f"{filename}:{number}: {marker} is indented differently from the {opened[0]} "
                               f"at line {opened[1]} ({len(indent)} and {len(opened[2])} columns)")
        if marker == "END TODO":
            hint = []
            for line in range(opened[1] + 1, number):
                if line not in comments or _MARKER_LIKE.match(comments[line]):
                    break
                hint.append(lines[line - 1])
            gaps.append(Gap(opened[1], number, indent, tuple(hint)))
        else:
            regions.append(Region(opened[1], number))
        opened = None
    if opened is not None:
        raise HandoutError(f"{filename}:{opened[1]}: {opened[0]} without {_OPENS[opened[0]]}")
    return gaps, regions


def find_gaps(text: str, filename: str = "<text>") -> List[Gap]:
    """The gaps of a Python source as (start_line, end_line, indent, hint_lines), checked as `parse_markers`."""
    return parse_markers(text, filename)[0]


def function_ranges(tree: ast.AST) -> List[Tuple[str, int, int]]:
    """(qualified name, first line, last line) of every function and method, e.g. ("Conv2d.forward", 90, 130)."""
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.append((prefix + child.name, child.lineno, child.end_lineno))
                visit(child, f"{prefix}{child.name}.<locals>.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def enclosing_function(ranges: List[Tuple[str, int, int]], line: int) -> Optional[str]:
    """The innermost function of `function_ranges` that holds `line`, or None at module or class level."""
    holding = [(first, name) for name, first, last in ranges if first <= line <= last]
    return max(holding)[1] if holding else None


def _parse(text: str, filename: str, origin: Optional[List[int]] = None, blocks: Sequence[int] = ()) -> ast.AST:
    """The source's syntax tree. A syntax error names the line; in a handout text (`origin`: the reference's
    line of each of its lines) the reference's line, and the gap or region (`blocks`: their lines) before it."""
    try:
        return ast.parse(text, filename)
    except SyntaxError as error:
        line = error.lineno or 1
        if origin is None:
            raise HandoutError(f"{filename}:{line}: not valid Python ({error.msg})") from None
        line = origin[min(line, len(origin)) - 1]
        near = max((start for start in blocks if start <= line), default=None)
        check = f"check the markers at line {near}" if near else "check the markers"
        raise HandoutError(f"{filename}:{line}: the handout's version of this file does not compile "
                           f"({error.msg}); {check}") from None


def _is_blank(line: str) -> bool:
    return not line.strip()


def _close_seam(out: List[str], origin: List[int], seam: int) -> None:
    """Where a region was dropped, leave one run of blank lines, not the two that stood around it."""
    before = 0
    while seam - before > 0 and _is_blank(out[seam - before - 1]):
        before += 1
    after = 0
    while seam + after < len(out) and _is_blank(out[seam + after]):
        after += 1
    if seam + after == len(out) or seam - before == 0:  # at the end or the start of the file: no blank lines
        drop = range(seam - before, seam + after)
    else:
        drop = range(seam, seam + min(before, after))
    for index in reversed(drop):
        del out[index], origin[index]


def _transform(text: str, filename: str) -> Tuple[str, List[Tuple[Gap, str, int]]]:
    """The handout's text of a source, and each gap with its function and its `raise` line (1-based) there."""
    gaps, regions = parse_markers(text, filename)
    if not gaps and not regions:
        return text, []
    ranges = function_ranges(_parse(text, filename))
    lines = _lines(text)
    starts = {gap.start: gap for gap in gaps}
    starts.update({region.start: region for region in regions})
    out: List[str] = []
    origin: List[int] = []  # the reference's line number of every line of `out`
    seams, raises = [], []
    number = 1
    while number <= len(lines):
        block = starts.get(number)
        if block is None:
            out.append(lines[number - 1])
            origin.append(number)
            number += 1
            continue
        if isinstance(block, Gap):
            function = enclosing_function(ranges, block.start)
            if function is None:
                raise HandoutError(f"{filename}:{block.start}: a gap outside any function (the handout would "
                                   f"raise NotImplementedError on import)")
            ending = lines[block.start - 1][len(lines[block.start - 1].rstrip("\r\n")):] or "\n"
            kept = [lines[block.start - 1]] + [lines[block.start + k] for k in range(len(block.hint))]
            kept.append(f"{block.indent}raise NotImplementedError{ending}")
            kept.append(lines[block.end - 1])
            out += kept
            origin += [block.start] * len(kept)
            raises.append((block, function, len(out) - 1))
        else:
            seams.append(len(out))
        number = block.end + 1
    for seam in reversed(seams):
        shift = len(out)
        _close_seam(out, origin, seam)
        raises = [(gap, function, line - (shift - len(out)) if line > seam else line)
                  for gap, function, line in raises]
    handout = "".join(out)
    handout_ranges = function_ranges(_parse(handout, filename, origin, sorted(starts)))
    for gap, function, line in raises:
        if enclosing_function(handout_ranges, line) != function:
            raise HandoutError(f"{filename}:{gap.start}: the gap's raise NotImplementedError would not stand in "
                               f"{function} (indent the markers as the function's body)")
    return handout, raises


def strip_text(text: str, filename: str = "<text>") -> str:
    """The handout's version of a Python source: gaps reduced to START, hint, `raise NotImplementedError`,
    END; reference-only regions dropped (one run of blank lines left where one stood).

    Raises:
        HandoutError: for malformed markers (see `parse_markers`), a gap outside a function, or a result
            that does not compile (naming the reference's line).
    """
    return _transform(text, filename)[0]


def _located(filename: str, raises: Sequence[Tuple[Gap, str, int]]) -> List[LocatedGap]:
    names = {(spec.file, spec.function): spec.name for spec in GAPS}
    return [LocatedGap(names.get((filename, function)), filename, function, gap) for gap, function, _ in raises]


def locate_gaps(text: str, filename: str = "<text>") -> List[LocatedGap]:
    """The gaps of a source with the function each stands in and its name in GAPS (None if none fits)."""
    return _located(filename, _transform(text, filename)[1])


# ---------------------------------------------------------------- which lib modules the handout needs

def _module_file(root: Path, dotted: str) -> Optional[str]:
    """lib/a/b.py or lib/a/b/__init__.py for "lib.a.b", relative to root, if it exists."""
    base = root.joinpath(*dotted.split("."))
    for path in (base.with_name(base.name + ".py"), base / "__init__.py"):
        if path.is_file():
            return path.relative_to(root).as_posix()
    return None


def lib_imports(root: Path, text: str, filename: str) -> List[Tuple[int, str]]:
    """(line, file) of every lib module a source imports, with the packages on the way (`ast`, any depth).

    `import lib.x`, `from lib.x import y` (y too, when it is a module), `from lib import x` and relative
    imports inside lib/ count. Raises HandoutError (file:line) for an import of a lib module that does not exist.
    """
    package = list(Path(filename).with_suffix("").parts[:-1])  # lib/a/b.py and lib/a/__init__.py: lib.a
    found = []

    def add(line: int, dotted: str, required: bool) -> bool:
        names = dotted.split(".")
        for depth in range(1, len(names)):
            package_file = _module_file(root, ".".join(names[:depth]))
            if package_file:
                found.append((line, package_file))
        module = _module_file(root, dotted)
        if module:
            found.append((line, module))
        elif required:
            raise HandoutError(f"{filename}:{line}: imports {dotted}, which is not in lib/")
        return module is not None

    for node in ast.walk(_parse(text, filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "lib":
                    add(node.lineno, alias.name, True)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1] if node.level <= len(package) else None
                if not base:
                    continue
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "lib":
                continue
            add(node.lineno, module, True)
            for alias in node.names:
                if alias.name != "*":
                    add(node.lineno, f"{module}.{alias.name}", False)
    return found


def import_closure(root: Path, sources: Sequence[str], read: Callable[[str], str]) -> List[str]:
    """Every lib file the sources import, directly or through each other, sorted (the sources not included
    unless imported). `read(path)` gives a file's text as the handout has it."""
    seen: Set[str] = set()
    pending = list(sources)
    while pending:
        source = pending.pop()
        for _, module in lib_imports(root, read(source), source):
            if module not in seen:
                seen.add(module)
                pending.append(module)
    return sorted(seen)


# ---------------------------------------------------------------- the generated files

def _yaml_scalar(value: str) -> str:
    """`value` as a plain YAML scalar where that is safe, else single-quoted."""
    if re.fullmatch(r"[A-Za-z0-9_./(][\w .,/()=+-]*", value) and not value.endswith(" "):
        return value
    return "'" + value.replace("'", "''") + "'"


def render_workflow(parts: Sequence[GradedPart] = GRADED_PARTS) -> str:
    """.github/workflows/classroom.yml as GitHub Classroom generates it: one command-grader step per part,
    then the reporter that adds up their results."""
    lines = ["# GitHub Classroom autograding, run on every push: one step per graded part of the sheet.",
             "# Pushes are limited: predict the grade first with `python -m tools.autograde`.",
             "name: Autograding Tests", "'on':", "- push", "- repository_dispatch", "permissions:",
             "  checks: write", "  actions: read", "  contents: read", "jobs:", "  run-autograding-tests:",
             "    runs-on: ubuntu-latest", "    if: github.actor != 'github-classroom[bot]'", "    steps:",
             "    - name: Checkout code", "      uses: actions/checkout@v4",
             "    - name: Set up Python", "      uses: actions/setup-python@v5", "      with:",
             f"        python-version: '{PYTHON_VERSION}'"]
    for part in parts:
        lines += [f"    - name: {_yaml_scalar(part.name)}", f"      id: {part.id}",
                  "      uses: classroom-resources/autograding-command-grader@v1", "      with:",
                  f"        test-name: {_yaml_scalar(part.name)}",
                  f"        setup-command: {_yaml_scalar(SETUP_COMMAND)}",
                  f"        command: {_yaml_scalar(part.command)}", f"        timeout: {TIMEOUT_MINUTES}",
                  f"        max-score: {part.points}"]
    lines += ["    - name: Autograding Reporter", "      uses: classroom-resources/autograding-grading-reporter@v1",
              "      env:"]
    lines += [f'        {part.id.upper()}_RESULTS: "${{{{steps.{part.id}.outputs.result}}}}"' for part in parts]
    lines += ["      with:", f"        runners: {','.join(part.id for part in parts)}"]
    return "\n".join(lines) + "\n"


def handout_setup_cfg(text: Optional[str]) -> str:
    """The reference's setup.cfg sections that students need (pycodestyle, pytest), as they are; a minimal
    [pycodestyle] section when the reference has none."""
    sections: Dict[str, List[str]] = {}
    current = None
    for line in (text or "").splitlines():
        header = re.fullmatch(r"\[([^\]]+)\]\s*", line)
        current = header.group(1).strip() if header else current
        if current is not None:
            sections.setdefault(current, []).append(line)
    if "pycodestyle" not in sections:
        sections["pycodestyle"] = ["[pycodestyle]", "max-line-length = 120"]
    kept = []
    for name in SETUP_CFG_SECTIONS:
        body = sections.get(name, [])
        while body and not body[-1].strip():
            body = body[:-1]
        if body:
            kept.append("\n".join(body) + "\n")
    return "\n".join(kept)


def _gap_label(located: LocatedGap) -> str:
    spec = {spec.name: spec for spec in GAPS}.get(located.name or "")
    return f"`{located.function}`" + (f" ({spec.part_of})" if spec and spec.part_of else "")


def render_readme(template: str, gaps: Sequence[LocatedGap], parts: Sequence[GradedPart] = GRADED_PARTS) -> str:
    """The student README: the template with its @@GAPS@@ and @@PARTS@@ lines generated from the gaps and parts."""
    for placeholder in ("@@GAPS@@", "@@PARTS@@"):
        if template.count(placeholder) != 1:
            raise HandoutError(f"{TEMPLATES}/README.md: needs the line {placeholder} exactly once")
    by_file: Dict[str, List[str]] = {}
    for located in gaps:
        by_file.setdefault(located.file, []).append(_gap_label(located))
    gap_lines = "\n".join(f"- `{file}`: {', '.join(labels)}" for file, labels in by_file.items())
    functions = {spec.name: f"`{spec.function}`" + (f" ({spec.part_of})" if spec.part_of else "") for spec in GAPS}
    part_lines = ["| part | points | tests | what it checks |", "| --- | --- | --- | --- |"]
    part_lines += [f"| {part.name} | {part.points} | {', '.join(f'`{t}`' for t in part.test_files)} | "
                   f"{', '.join(functions[name] for name in part.gaps)} |" for part in parts]
    part_lines.append(f"| total | {sum(part.points for part in parts)} | | |")
    return template.replace("@@GAPS@@", gap_lines or "- (no gaps)").replace("@@PARTS@@", "\n".join(part_lines))


# ---------------------------------------------------------------- the whole handout

def _walk(folder: Path) -> List[Path]:
    """The files under `folder`, sorted, leaving out hidden entries, __pycache__ and compiled files."""
    files = []
    for directory, subfolders, names in os.walk(str(folder)):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith(".") and name != "__pycache__")
        files += [Path(directory) / name for name in sorted(names)
                  if not name.startswith(".") and not name.endswith((".pyc", ".pyo"))]
    return sorted(files, key=lambda path: path.relative_to(folder).as_posix())


def _mode(path: Path) -> int:
    return 0o755 if path.stat().st_mode & 0o111 else 0o644


def plan_handout(root: Path = REPO_ROOT) -> Handout:
    """Everything the handout holds, read and checked, in memory (nothing is written).

    Raises:
        HandoutError: naming file:line for a malformed or missing source (see the module docstring).
    """
    root = Path(root).resolve()
    texts: Dict[str, str] = {}
    gaps: List[LocatedGap] = []

    def source(rel: str) -> Path:
        path = root / rel
        if not path.is_file():
            raise HandoutError(f"{rel}: missing (the handout needs it)")
        return path

    def handout_text(rel: str) -> str:
        if rel not in texts:
            texts[rel], raises = _transform(source(rel).read_bytes().decode("utf-8"), rel)
            gaps.extend(_located(rel, raises))
        return texts[rel]

    modules = sorted(set(COURSE_MODULES) | set(import_closure(root, COURSE_MODULES + ROOT_SCRIPTS, handout_text)))
    files: Dict[str, Tuple[bytes, int]] = {}
    for rel in modules + list(ROOT_SCRIPTS):
        files[rel] = (handout_text(rel).encode("utf-8"), _mode(source(rel)))
    tests = root / HANDOUT_TESTS
    if not tests.is_dir():
        raise HandoutError(f"{HANDOUT_TESTS}/: missing (the tests the students get)")
    for path in _walk(tests):
        if path.name == "__init__.py":
            continue
        rel, target = path.relative_to(root).as_posix(), "tests/" + path.relative_to(tests).as_posix()
        if path.suffix == ".py":
            for line, module in lib_imports(root, path.read_text(encoding="utf-8"), rel):
                if module not in modules:
                    raise HandoutError(f"{rel}:{line}: imports {module}, which the handout does not ship (its "
                                       f"tests may import only the course's modules and what they import)")
        files[target] = (path.read_bytes(), _mode(path))
    for part in GRADED_PARTS:
        for test_file in part.test_files:
            if test_file not in files:
                raise HandoutError(f"{HANDOUT_TESTS}/{Path(test_file).name}: missing (graded part {part.name!r} "
                                   f"runs {test_file})")
    for rel in COPIED_AS_IS:
        files[rel] = (source(rel).read_bytes(), _mode(source(rel)))
    setup_cfg = root / "setup.cfg"
    files["setup.cfg"] = (handout_setup_cfg(setup_cfg.read_text(encoding="utf-8") if setup_cfg.is_file() else None)
                          .encode("utf-8"), 0o644)
    if not (root / DATA_DIR).is_dir():
        raise HandoutError(f"{DATA_DIR}/: missing (the MNIST files)")
    for path in _walk(root / DATA_DIR):
        files[path.relative_to(root).as_posix()] = (path.read_bytes(), 0o644)
    order = {spec.name: index for index, spec in enumerate(GAPS)}
    gaps.sort(key=lambda g: (order.get(g.name or "", len(GAPS)), g.file, g.gap.start))
    for name, target in TEMPLATE_FILES.items():
        template = source(f"{TEMPLATES}/{name}").read_text(encoding="utf-8")
        files[target] = ((render_readme(template, gaps) if name == "README.md" else template).encode("utf-8"), 0o644)
    files[WORKFLOW_PATH] = (render_workflow().encode("utf-8"), 0o644)
    checkout = os.fsencode(str(root))
    for rel, (content, _) in files.items():
        if checkout in content:
            raise HandoutError(f"{rel}: holds this checkout's absolute path {root}")
    return Handout(dict(sorted(files.items())), gaps)


def gap_notes(gaps: Sequence[LocatedGap]) -> List[str]:
    """One line per gap of GAPS the handout lacks or has twice, and per gap that is none of GAPS."""
    notes = [f"{g.file}:{g.gap.start}: a gap in {g.function}, which is none of the exercise's gaps"
             for g in gaps if g.name is None]
    for spec in GAPS:
        count = sum(1 for g in gaps if g.name == spec.name)
        if count != 1:
            notes.append(f"{spec.file}: the gap {spec.name} in {spec.function} is "
                         f"{'missing' if not count else f'there {count} times'}")
    return notes


def check_destination(dest: Path, force: bool = False, root: Path = REPO_ROOT) -> Path:
    """Check that DIR can take the handout (every check of the command's arguments is here); returns it resolved.

    Raises:
        UsageError: if DIR is a file, is not empty (without force), or is the repository, holds it, or
            lies inside a folder the handout is read from.
    """
    dest, root = Path(dest).resolve(), Path(root).resolve()
    if dest == root or dest in root.parents:
        raise UsageError(f"{dest} is the repository or holds it: choose a folder outside it")
    for folder in READ_FROM:
        if dest == root / folder or root / folder in dest.parents:
            raise UsageError(f"{dest} lies inside {folder}/, which the handout is read from: choose another folder")
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"{dest} is a file, not a folder")
    if not force and dest.is_dir() and any(dest.iterdir()):
        raise UsageError(f"{dest} is not empty: choose an empty or new folder, or add --force to empty it first")
    return dest


def prepare_destination(dest: Path, force: bool = False, root: Path = REPO_ROOT) -> Path:
    """Check DIR (`check_destination`) and make it an empty folder: with `force` it is emptied first, all but
    a `.git` in it, so that DIR may be a clone of the students' template repository."""
    dest = check_destination(dest, force, root)
    if dest.is_dir():
        for child in sorted(dest.iterdir()):
            if child.name == ".git":
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(str(child))
            else:
                child.unlink()
    dest.mkdir(parents=True, exist_ok=True)
    return dest


def write_handout(handout: Handout, dest: Path, force: bool = False, root: Path = REPO_ROOT) -> List[str]:
    """Write a planned handout into DIR (see `prepare_destination`); returns the files written, sorted."""
    dest = prepare_destination(dest, force, root)
    for rel, (content, mode) in handout.files.items():
        path = dest / rel
        for folder in reversed(list(path.relative_to(dest).parents)[:-1]):
            (dest / folder).mkdir(exist_ok=True)
            os.chmod(str(dest / folder), 0o755)
        path.write_bytes(content)
        os.chmod(str(path), mode)
    return list(handout.files)


def build_handout(root: Path, dest: Path, force: bool = False) -> List[str]:
    """Generate the handout of the reference at `root` into `dest`; returns the files written (relative, sorted).

    Raises:
        HandoutError: for a malformed or missing source (nothing is written then).
        UsageError: for an unusable `dest` (see `check_destination`).
    """
    check_destination(dest, force, root)
    return write_handout(plan_handout(root), dest, force, root)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")  # one line, not usage + error


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Write the handout; print what was written, or one line saying what is wrong."""
    parser = _Parser(prog="python -m tools.make_handout",
                     description="Write the student repository (the handout) generated from this reference.")
    parser.add_argument("dest", metavar="DIR", type=Path, help="where to write it: an empty or new folder")
    parser.add_argument("--force", action="store_true", help="empty DIR first if it is not empty")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="the reference to read (default: this one)")
    args = parser.parse_args(argv)
    try:
        check_destination(args.dest, args.force, args.root)
        handout = plan_handout(args.root)
        written = write_handout(handout, args.dest, args.force, args.root)
    except UsageError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    except HandoutError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for note in gap_notes(handout.gaps):
        print(f"Note: {note}", file=sys.stderr)
    names = ", ".join(g.name or g.function for g in handout.gaps)
    print(f"Wrote {len(written)} files to {args.dest}: {len(handout.gaps)} gaps ({names})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
