"""Specification of `python -m tools.make_handout`: the student repository generated from the reference.

The transformation, the gap functions of `tools.gaps` (the same marker parser) and the import closure are
checked on small texts and a small synthetic reference (tmp_path); one real build of this repository, shared
by a module-scoped fixture, checks what students get: it imports, every gap raises NotImplementedError,
PEP 8 holds and the scripts stop in one line.
"""
import json
import os
import re
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tools.autograde import load_workflow, main as autograde_main, parse_yaml
from tools.gaps import GapError, empty_gap, fill_gap, gap_solution
from tools.generated_files import handout_setup_cfg, render_workflow
from tools.graded_parts import GAPS, GRADED_PARTS
from tools.make_handout import COURSE_MODULES, ROOT_SCRIPTS, UsageError, build_handout, gap_notes, plan_handout
from tools.markers import Gap, HandoutError, find_gaps, strip_text

REPO_ROOT = Path(__file__).resolve().parent.parent
START, END = "# START TODO ################", "# END TODO ################"
BEGIN, STOP = "# BEGIN REFERENCE ONLY ################", "# END REFERENCE ONLY ################"


def source(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# ------------------------------------------------------------------ the per-file transformation

GAP_SOURCE = source(f"""
    def area(w, h):
        \"\"\"Area of a rectangle.\"\"\"
        w = int(w)
        {START}
        # Multiply the two sides.
        # Return nothing else.
        result = w * h  # the solution's own comment
        # a comment of the solution
        {END}
        return result
    """)


def test_a_gap_keeps_start_hint_and_end_and_its_solution_becomes_raise_not_implemented():
    assert strip_text(GAP_SOURCE) == source(f"""
        def area(w, h):
            \"\"\"Area of a rectangle.\"\"\"
            w = int(w)
            {START}
            # Multiply the two sides.
            # Return nothing else.
            raise NotImplementedError
            {END}
            return result
        """)


def test_find_gaps_gives_start_end_indent_and_hint():
    hint = ("    # Multiply the two sides.", "    # Return nothing else.")
    assert find_gaps(GAP_SOURCE) == [Gap(4, 9, "    ", hint)]
    start, end, indent, hint = find_gaps(GAP_SOURCE)[0]  # a plain tuple for other tools
    assert (start, end, len(indent), len(hint)) == (4, 9, 4, 2)


def test_the_hint_ends_at_a_blank_line_or_code():
    text = source(f"""
        def f():
            {START}
            # hint

            # not hint: the blank line ended it
            x = 1
            {END}
            return x
        """)
    assert find_gaps(text)[0].hint == ("    # hint",)
    assert "# not hint" not in strip_text(text)


def test_a_region_only_the_reference_has_is_dropped_with_its_markers_leaving_one_run_of_blank_lines():
    text = source(f"""
        import numpy as np
        {BEGIN}
        from lib.fast import fast_path
        {STOP}


        def f(x):
            return x


        {BEGIN}
        def f_fast(x):
            return fast_path(x)
        {STOP}


        def g(x):
            {BEGIN}
            if x is None:
                return fast_path(x)
            {STOP}
            return x + 1
        """)
    assert strip_text(text) == source("""
        import numpy as np


        def f(x):
            return x


        def g(x):
            return x + 1
        """)


def test_a_region_at_the_end_of_the_file_leaves_no_trailing_blank_line():
    text = f"x = 1\n\n\n{BEGIN}\ny = 2\n{STOP}\n"
    assert strip_text(text) == "x = 1\n"


def test_a_text_without_markers_is_unchanged_and_markers_inside_strings_are_no_markers():
    text = source(f'''
        """Docs that show the markers:
        {START}
        {BEGIN}
        """
        MESSAGE = "fill in the gap between '{START}' and '{END}'"
        ''')
    assert strip_text(text) == text
    assert find_gaps(text) == []


def test_line_endings_are_kept():
    text = GAP_SOURCE.replace("\n", "\r\n")
    assert strip_text(text) == strip_text(GAP_SOURCE).replace("\n", "\r\n")


@pytest.mark.parametrize("text, match", [
    (f"def f():\n    {START}\n    x = 1\n", r"^m\.py:2: START TODO without END TODO$"),
    (f"def f():\n    x = 1\n    {END}\n", r"^m\.py:3: END TODO without a START TODO before it$"),
    (f"def f():\n    {START}\n    {START}\n    {END}\n    {END}\n", r"^m\.py:3: nested markers: START TODO before"),
    (f"def f():\n    {START}\n    {BEGIN}\n    x = 1\n    {STOP}\n    {END}\n",
     r"^m\.py:3: a reference-only region inside a gap: BEGIN REFERENCE ONLY before the END TODO of the "
     r"START TODO at line 2$"),
    (f"{BEGIN}\ndef f():\n    {START}\n    x = 1\n    {END}\n{STOP}\n", r"^m\.py:3: nested markers"),
    (f"def f():\n    {START}\n    x = 1\n  {END}\n",
     r"^m\.py:4: END TODO is indented differently from the START TODO at line 2 \(2 and 4 columns\)$"),
    (f"def f():\n    {START}\n    x = 1\n    {STOP}\n", r"^m\.py:4: END REFERENCE ONLY without a BEGIN REFERENCE"),
    ("def f():\n    #START TODO\n    x = 1\n", r"^m\.py:2: malformed marker '#START TODO'"),
    ("def f():\n    # END TODO: done\n", r"^m\.py:2: malformed marker"),
    (f"{START}\nx = 1\n{END}\n", r"^m\.py:1: a gap outside any function"),
    (f"def f():\n    y = 1\n{START}\n    x = 1\n{END}\n    return y\n", r"^m\.py:6: the handout's version of "
     r"this file does not compile \(unexpected indent\); check the markers at line 3$"),
    ("def f(:\n    pass\n", r"^m\.py:1: not valid Python"),
])
def test_malformed_markers_are_errors_naming_file_and_line(text, match):
    with pytest.raises(HandoutError, match=match):
        strip_text(text, "m.py")


# ------------------------------------------------------------------ one function's gap (tools.gaps, the same parser)

ENDS_THE_FUNCTION = source(f"""
    class Shape:
        def area(self, w, h):
            \"\"\"Docs that show a marker: {START}\"\"\"
            {START}
            # Return the product.
            return w * h
            {END}

        def unused(self):
            return "{END}"
    """)


def test_gap_solution_and_fill_gap_keep_the_markers_and_the_hint_and_ignore_markers_in_strings():
    solution = "result = w * h  # the solution's own comment\n# a comment of the solution\n"
    assert gap_solution(GAP_SOURCE, "area") == solution
    assert gap_solution(ENDS_THE_FUNCTION, "Shape.area") == "return w * h\n"  # END after the last statement
    filled = fill_gap(ENDS_THE_FUNCTION, "Shape.area", "\n    return h * w\n")
    assert filled == ENDS_THE_FUNCTION.replace("        return w * h\n", "        return h * w\n")
    assert empty_gap(GAP_SOURCE, "area") == strip_text(GAP_SOURCE)  # the handout's gap, as make_handout writes it


@pytest.mark.parametrize("text, function, match", [
    (GAP_SOURCE, "volume", r"^no volume in the file$"),
    (ENDS_THE_FUNCTION, "Shape.unused", r"^Shape\.unused must hold exactly one START TODO marker, found 0$"),
    (f"def f():\n    {START}\n    x = 1\n", "f", r"^m\.py:2: START TODO without END TODO$"),
    ("def f():\n    #START TODO\n    x = 1\n", "f", r"^m\.py:2: malformed marker"),
])
def test_a_function_without_one_well_formed_gap_is_a_gap_error(text, function, match):
    with pytest.raises(GapError, match=match):
        fill_gap(text, function, "pass", "m.py")


# ------------------------------------------------------------------ a synthetic reference

SCRIPT_TEXT = source(f"""
    \"\"\"A root script.\"\"\"
    from lib.convolutions import calculate_conv_output
    {BEGIN}
    from lib.studies import study
    {STOP}
    from lib.cli import errors


    def main():
        print(calculate_conv_output([7], [3], [1], [2]))
    """)


def write(root: Path, rel: str, text: str, mode: int = 0o644) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.chmod(str(path), mode)


def make_reference(root: Path, test_bodies=None) -> Path:
    """A small reference: the 13 course modules (one gap, one region), helpers, scripts, tests, data."""
    for rel in COURSE_MODULES:
        write(root, rel, f'"""{rel}."""\n')
    write(root, "lib/convolutions.py", source(f"""
        \"\"\"Convolutions.\"\"\"
        from lib.checks import check
        {BEGIN}
        from lib.kernels.fast import fast_output
        {STOP}


        def calculate_conv_output(i, k, s, p):
            check(i)
            {START}
            # (I + 2P - K) // S + 1 per dimension.
            output = [(a + 2 * d - b) // c + 1 for a, b, c, d in zip(i, k, s, p)]
            {END}
            return output
        """))
    write(root, "lib/experiments.py", "from lib import helpers\nfrom lib.helpers import sub\n")
    write(root, "lib/checks.py", "def check(x):\n    return x\n")
    write(root, "lib/helpers/__init__.py", "")
    write(root, "lib/helpers/sub.py", "from . import deep\nfrom .deep import VALUE\n")
    write(root, "lib/helpers/deep.py", "VALUE = 1\n")
    write(root, "lib/kernels/__init__.py", "")
    write(root, "lib/kernels/fast.py", "def fast_output():\n    pass\n")  # imported only by a dropped region
    write(root, "lib/studies/__init__.py", "")
    write(root, "lib/studies/study.py", "")
    write(root, "lib/unused.py", "")
    write(root, "lib/cli/__init__.py", "")
    write(root, "lib/cli/errors.py", "import lib.network\n")
    for script in ROOT_SCRIPTS:
        write(root, script, SCRIPT_TEXT)
    write(root, "tests/handout/__init__.py", "")
    write(root, "tests/handout/conftest.py", "def pytest_configure(config):\n    pass\n")
    bodies = test_bodies or {}
    for part in GRADED_PARTS:
        for rel in part.test_files:
            write(root, "tests/handout/" + Path(rel).name,
                  f"import lib.convolutions\n\n\ndef test_{part.id.replace('-', '_')}():\n"
                  f"    {bodies.get(part.id, 'pass')}\n")
    (root / "tests/handout/conv.npy").write_bytes(b"\x93NUMPY binary")
    write(root, "tests/handout/__pycache__/junk.cpython-311.pyc", "junk")
    write(root, "tests/test_reference_only.py", "")
    write(root, "requirements.txt", "numpy>=1.20\n")
    write(root, "runtests.sh", "python -m pytest\n", 0o755)
    write(root, "runtests.bat", "python -m pytest\r\n")
    write(root, "tools/__init__.py", "")
    write(root, "tools/autograde.py", (REPO_ROOT / "tools/autograde.py").read_text(encoding="utf-8"))
    write(root, "tools/style_excludes.py", "print('.git')\n")
    write(root, "tools/make_handout.py", "")
    for path in [REPO_ROOT / "tools/check_submission.py"] + sorted((REPO_ROOT / "tools/submission_rules").glob("*.py")):
        write(root, path.relative_to(REPO_ROOT).as_posix(), path.read_text(encoding="utf-8"))
    for name in ("README.md", "feedback.md", "gitignore"):
        write(root, f"tools/handout_files/{name}", (REPO_ROOT / "tools/handout_files" / name).read_text("utf-8"))
    write(root, "setup.cfg", "# top comment\n[pycodestyle]\nmax-line-length = 120\nexclude = .git\n\n"
                             "[tool:pytest]\ntestpaths = tests\n\n[mutmut]\nsource_paths = lib/\n")
    write(root, "data/README.md", "MNIST, CC BY-SA 3.0\n")
    (root / "data/train-images-idx3-ubyte.gz").write_bytes(bytes(range(256)))
    write(root, "README.md", "the reference's README\n")
    return root


@pytest.fixture
def reference(tmp_path):
    return make_reference(tmp_path / "reference")


def tree(folder: Path) -> dict:
    """{relative path: (content, mode)} of every file under folder."""
    return {path.relative_to(folder).as_posix(): (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
            for path in sorted(folder.rglob("*")) if path.is_file()}


def test_the_handout_ships_the_import_closure_of_the_course_modules_and_scripts_and_nothing_else(reference, tmp_path):
    written = build_handout(reference, tmp_path / "out")
    lib_files = sorted(rel for rel in written if rel.startswith("lib/"))
    assert lib_files == sorted(list(COURSE_MODULES) + [
        "lib/checks.py", "lib/cli/__init__.py", "lib/cli/errors.py", "lib/helpers/__init__.py",
        "lib/helpers/deep.py", "lib/helpers/sub.py"])  # not kernels/, studies/ (dropped regions) or unused.py
    assert written == sorted(written) and set(written) == set(tree(tmp_path / "out"))


def test_the_handout_transforms_modules_and_scripts_and_copies_the_rest(reference, tmp_path):
    build_handout(reference, tmp_path / "out")
    files = tree(tmp_path / "out")
    convolutions = files["lib/convolutions.py"][0].decode()
    assert "raise NotImplementedError" in convolutions and "zip(i, k, s, p)" not in convolutions
    assert "# (I + 2P - K) // S + 1 per dimension." in convolutions and "REFERENCE ONLY" not in convolutions
    assert "lib.studies" not in files["run_simple_conv.py"][0].decode()
    assert set(ROOT_SCRIPTS) <= set(files)
    assert "tests/conftest.py" in files and "tests/__init__.py" not in files and "tests/conv.npy" in files
    assert not any("__pycache__" in rel or rel.startswith("tests/handout") for rel in files)
    assert "tests/test_reference_only.py" not in files and "tools/make_handout.py" not in files
    assert not any(rel.startswith("tools/handout_files") for rel in files)
    assert files["tools/autograde.py"][0] == (reference / "tools/autograde.py").read_bytes()
    assert files["runtests.bat"][0] == b"python -m pytest\r\n"
    assert files["data/train-images-idx3-ubyte.gz"][0] == bytes(range(256)) and "data/README.md" in files
    assert files["runtests.sh"][1] == 0o755 and files["lib/convolutions.py"][1] == 0o644
    assert {mode for rel, (_, mode) in files.items() if rel != "runtests.sh"} == {0o644}


def test_the_handout_ships_the_submission_checker_and_the_record_of_what_it_shipped(reference, tmp_path):
    written = build_handout(reference, tmp_path / "out")
    rules = [path.relative_to(REPO_ROOT).as_posix() for path in (REPO_ROOT / "tools/submission_rules").glob("*.py")]
    assert set(["tools/check_submission.py"] + rules) <= set(written)
    record = json.loads((tmp_path / "out/.handout/manifest.json").read_text(encoding="utf-8"))
    assert set(record["files"]) == set(written) - {".handout/manifest.json"}
    assert [(gap["file"], gap["function"]) for gap in record["gaps"]] == [("lib/convolutions.py",
                                                                           "calculate_conv_output")]


def test_setup_cfg_keeps_only_the_sections_students_need(reference, tmp_path):
    build_handout(reference, tmp_path / "out")
    expected = "[pycodestyle]\nmax-line-length = 120\nexclude = .git\n\n[tool:pytest]\ntestpaths = tests\n"
    assert (tmp_path / "out/setup.cfg").read_text() == expected
    assert handout_setup_cfg(None) == "[pycodestyle]\nmax-line-length = 120\n"


def test_the_student_files_gitignore_feedback_and_readme(reference, tmp_path):
    build_handout(reference, tmp_path / "out")
    out = tmp_path / "out"
    ignored = out.joinpath(".gitignore").read_text().split()
    assert {".venv/", "venv/", "results/", "__pycache__/"} <= set(ignored)
    feedback = out.joinpath("feedback.md").read_text()
    headings = re.findall(r"^## (.+)$", feedback, re.MULTILINE)
    assert headings == ["Major problems?", "Helpful?", "Duration in hours?", "Other feedback?"]
    assert all(not body.strip() for body in re.split(r"^## .+$", feedback, flags=re.MULTILINE)[1:])
    readme = out.joinpath("README.md").read_text()
    assert "- `lib/convolutions.py`: `calculate_conv_output`" in readme
    for text in ("START TODO", "END TODO", "pip install -r requirements.txt", "./runtests.sh",
                 "python -m tools.autograde", "two nested", "--max-line-length 120", "Python 3.8", "three times",
                 "| total | 9 |"):
        assert text in readme, text
    assert "@@" not in readme


def test_two_builds_are_byte_identical_and_hold_no_absolute_path(reference, tmp_path):
    build_handout(reference, tmp_path / "one")
    os.utime(str(reference / "lib/convolutions.py"), (0, 0))  # times do not matter
    build_handout(reference, tmp_path / "two")
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert one == two
    assert not any(str(tmp_path).encode() in content for content, _ in one.values())


def test_an_import_of_a_missing_lib_module_names_the_file_and_line(reference, tmp_path):
    write(reference, "lib/experiments.py", "import numpy\nfrom lib.nowhere import x\n")
    with pytest.raises(HandoutError, match=r"^lib/experiments\.py:2: imports lib\.nowhere, which is not in lib/$"):
        plan_handout(reference)


def test_a_handout_test_may_import_only_what_the_handout_ships(reference):
    write(reference, "tests/handout/test_conv_model.py", "import numpy\nfrom lib.unused import x\n")
    with pytest.raises(HandoutError, match=r"^tests/handout/test_conv_model\.py:2: imports lib/unused\.py, which "
                                           r"the handout does not ship"):
        plan_handout(reference)


def test_a_graded_parts_missing_test_file_is_an_error(reference):
    (reference / "tests/handout/test_conv_model.py").unlink()
    with pytest.raises(HandoutError, match=r"^tests/handout/test_conv_model\.py: missing \(graded part "
                                           r"'create_conv_model' runs tests/test_conv_model\.py\)$"):
        plan_handout(reference)


def test_the_gaps_are_named_and_the_missing_ones_listed(reference):
    handout = plan_handout(reference)
    assert [(g.name, g.file, g.function, g.gap.start) for g in handout.gaps] == [
        ("conv_output", "lib/convolutions.py", "calculate_conv_output", 10)]
    notes = gap_notes(handout.gaps)
    assert len(notes) == len(GAPS) - 1
    assert "lib/convolution_warmup.py: the gap pad_array in pad_array is missing" in notes


# ------------------------------------------------------------------ the command line

def run_tool(*arguments: str, cwd: Path = REPO_ROOT):
    return subprocess.run([sys.executable, "-m", "tools.make_handout"] + list(arguments), cwd=str(cwd),
                          capture_output=True, text=True, timeout=120)


def test_the_command_writes_the_handout_and_refuses_a_non_empty_folder_unless_forced(reference, tmp_path):
    out = tmp_path / "out"
    result = run_tool(str(out), "--root", str(reference))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Wrote {len(tree(out))} files to {out}: 1 gaps (conv_output)")
    stale = out / "stale.txt"
    stale.write_text("from an older build")
    (out / ".git").mkdir()  # DIR may be a clone of the students' repository: --force keeps its .git
    (out / ".git" / "HEAD").write_text("ref: refs/heads/master\n")
    result = run_tool(str(out), "--root", str(reference))
    assert result.returncode == 2 and result.stdout == "" and result.stderr.count("\n") == 1
    assert "is not empty" in result.stderr and "--force" in result.stderr and stale.exists()
    assert run_tool(str(out), "--root", str(reference), "--force").returncode == 0
    assert not stale.exists() and (out / "lib/convolutions.py").is_file() and (out / ".git" / "HEAD").is_file()


def test_bad_usage_is_one_line_and_status_2(reference, tmp_path):
    (tmp_path / "a_file").write_text("")
    for arguments, message in (([], "the following arguments are required: DIR"),
                               ([str(tmp_path / "a_file")], "is a file, not a folder"),
                               ([str(reference / "lib" / "out")], "lies inside lib/"),
                               ([str(reference)], "is the repository or holds it"),
                               ([str(tmp_path)], "is the repository or holds it")):
        result = run_tool(*arguments, "--root", str(reference))
        assert result.returncode == 2 and result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    with pytest.raises(UsageError):
        build_handout(reference, reference / "data" / "x")


def test_a_malformed_source_is_one_line_status_1_and_nothing_is_written(reference, tmp_path):
    write(reference, "lib/losses.py", f"def f():\n    {START}\n    x = 1\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "kept.txt").write_text("")
    result = run_tool(str(out), "--root", str(reference), "--force")
    assert result.returncode == 1
    assert result.stderr == "error: lib/losses.py:2: START TODO without END TODO\n"
    assert [path.name for path in out.iterdir()] == ["kept.txt"]


# ------------------------------------------------------------------ the workflow and the graded parts

def test_graded_parts_are_the_sheets_and_cover_every_gap_once():
    assert [(part.name, part.points) for part in GRADED_PARTS] == [
        ("output size", 1), ("warm-up", 2), ("Conv2d.forward", 2), ("create_conv_model", 2), ("shifted experiment", 2)]
    covered = [gap for part in GRADED_PARTS for gap in part.gaps]
    assert sorted(covered) == sorted(spec.name for spec in GAPS)
    assert all(re.fullmatch(r"tests/test_\w+\.py", rel) for part in GRADED_PARTS for rel in part.test_files)


def test_the_workflow_has_one_command_grader_step_per_part_then_the_reporter(tmp_path):
    text = render_workflow()
    steps = parse_yaml(text)["jobs"]["run-autograding-tests"]["steps"]
    assert [step["uses"] for step in steps[:2]] == ["actions/checkout@v4", "actions/setup-python@v5"]
    graders, reporter = steps[2:-1], steps[-1]
    assert [step["id"] for step in graders] == [part.id for part in GRADED_PARTS]
    for step, part in zip(graders, GRADED_PARTS):
        assert step["uses"] == "classroom-resources/autograding-command-grader@v1"
        assert step["with"] == {"test-name": part.name, "setup-command": "pip install -r requirements.txt",
                                "command": f"python -m pytest {' '.join(part.test_files)}", "timeout": "10",
                                "max-score": str(part.points)}
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    assert reporter["with"] == {"runners": ",".join(part.id for part in GRADED_PARTS)}
    assert reporter["env"] == {f"{part.id.upper()}_RESULTS": f"${{{{steps.{part.id}.outputs.result}}}}"
                               for part in GRADED_PARTS}
    assert 'OUTPUT-SIZE_RESULTS: "${{steps.output-size.outputs.result}}"' in text
    path = tmp_path / "classroom.yml"
    path.write_text(text)
    entries = load_workflow(path)  # what the local autograder reads from it
    assert [(e.name, e.run, e.points, e.timeout_minutes) for e in entries] == [
        (part.name, part.command, part.points, 10) for part in GRADED_PARTS]
    assert sum(e.points for e in entries) == 9


@pytest.mark.skipif(os.name != "posix", reason="puts a shell script named python on PATH")
def test_the_handouts_autograder_predicts_the_points_of_each_part(tmp_path, capsys, monkeypatch):
    reference = make_reference(tmp_path / "reference", {"warm-up": "assert False", "forward": "assert False"})
    out = tmp_path / "out"
    build_handout(reference, out)
    bin_folder = tmp_path / "bin"  # the workflow's `python` is this interpreter, as in an activated environment
    write(bin_folder, "python", f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', 0o755)
    monkeypatch.setenv("PATH", f"{bin_folder}{os.pathsep}{os.environ.get('PATH', '')}")
    assert autograde_main(["--root", str(out), "--inherit-env"]) == 1
    printed = capsys.readouterr().out
    assert f"from {out / '.github/workflows/classroom.yml'}" in printed
    assert "[PASS] output size: 1/1 points" in printed and "[FAIL] warm-up: 0/2 points" in printed
    assert "[FAIL] Conv2d.forward: 0/2 points" in printed and "Points 5/9" in printed


# ------------------------------------------------------------------ one real build of this repository

def reference_has_markers() -> bool:
    """Whether lib/convolutions.py marks its gaps (a malformed marker counts: the real build then says where)."""
    path = REPO_ROOT / GAPS[0].file
    try:
        return path.is_file() and bool(find_gaps(path.read_text(encoding="utf-8"), GAPS[0].file))
    except HandoutError:
        return True


real_build = pytest.mark.skipif(not reference_has_markers(), reason="the reference's files have no gap markers yet")


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    out = tmp_path_factory.mktemp("handout")
    build_handout(REPO_ROOT, out, force=True)
    return out


def run_in(folder: Path, *arguments: str, timeout: float = 120, pythonpath: str = ""):
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=pythonpath)
    return subprocess.run([sys.executable] + list(arguments), cwd=str(folder), capture_output=True, text=True,
                          timeout=timeout, env=env)


@real_build
def test_the_real_handout_has_the_nine_gaps_and_no_reference_only_code(handout):
    assert gap_notes(plan_handout(REPO_ROOT).gaps) == []
    for path in handout.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "REFERENCE ONLY" not in text, path
    assert not (handout / "tests/handout").exists() and (handout / "tests/conftest.py").is_file()


@real_build
def test_the_real_handout_imports_and_every_gap_raises_not_implemented(handout, tmp_path):
    assert run_in(handout, "-c", "import lib.experiments").returncode == 0
    probe = textwrap.dedent("""
        import json, traceback
        import numpy as np
        import lib.convolutions as conv
        import lib.experiments as ex
        from lib.convolutions import Conv2d, calculate_conv_output
        from lib import convolution_warmup as warmup

        x, f = np.zeros((1, 2, 5, 5)), np.zeros((2, 3, 3))
        calls = {
            "conv_output": lambda: calculate_conv_output([7, 7], [3, 3], [1, 1], [2, 2]),
            "pad_array": lambda: warmup.pad_array(x, (1, 1)),
            "single_filter": lambda: warmup.dot_product_single_filter(x[0], f, (0, 0)),
            "single_filter_batch": lambda: warmup.dot_product_single_filter_with_batches(x, f, (0, 0)),
            "multi_filter_batch": lambda: warmup.dot_product_multiple_filters_with_batches(x, f[None], (0, 0)),
            "conv_model": ex.create_conv_model,
            "shift_data": lambda: ex.shift_data(x, 2),
        }
        raised = {}
        for name, call in calls.items():
            try:
                call()
                raised[name] = "returned"
            except NotImplementedError as error:
                raised[name] = traceback.extract_tb(error.__traceback__)[-1].name
        # the forward needs the output size, the MLP part what comes before its gap: stand-ins for both
        conv.calculate_conv_output = lambda i, k, s, p: [(a + 2 * d - b) // c + 1 for a, b, c, d in zip(i, k, s, p)]
        try:
            Conv2d(2, 3, (3, 3)).forward(x)
            raised["conv_forward"] = "returned"
        except NotImplementedError as error:
            raised["conv_forward"] = traceback.extract_tb(error.__traceback__)[-1].name
        images = np.random.rand(10, 1, 28, 28)
        labels = np.eye(10)[np.arange(10) % 10]
        ex.load_mnist_data = lambda *args, **kwargs: (images, images, images, labels, labels, labels)
        ex.plot_data = lambda *args, **kwargs: None
        ex.shift_data = lambda data, shift: data
        try:
            ex.run_shifted_conv_experiment(10)
            raised["shifted_mlp"] = "returned"
        except NotImplementedError as error:
            raised["shifted_mlp"] = traceback.extract_tb(error.__traceback__)[-1].name
        print(json.dumps(raised))
        """)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "conv_model.npz").write_bytes(b"")  # the experiment checks first that the CNN exists
    result = run_in(tmp_path, "-c", probe, pythonpath=str(handout))
    assert result.returncode == 0, result.stderr
    raised = json.loads(result.stdout.strip().splitlines()[-1])
    assert raised == {spec.name: spec.function.split(".")[-1] for spec in GAPS}


@real_build
def test_the_real_handout_is_pep8_clean(handout):
    pytest.importorskip("pycodestyle")
    result = run_in(handout, "-m", "pycodestyle", "--max-line-length", "120", ".")
    assert result.returncode == 0, result.stdout


@real_build
@pytest.mark.parametrize("script, functions", [
    ("show_conv_output_dims.py", ["calculate_conv_output"]),
    ("run_simple_conv.py", ["calculate_conv_output", "Conv2d.forward"]),
])
def test_the_real_handouts_scripts_stop_in_one_line_naming_the_gap(handout, script, functions):
    result = run_in(handout, script)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    match = re.fullmatch(r'Error: (lib/\w+\.py): ([\w.]+) is not implemented yet: fill in the gap between '
                         r'"# START TODO" and "# END TODO"\n', result.stderr)
    assert match and match.group(2) in functions, result.stderr
