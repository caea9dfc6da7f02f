"""Specification of `python -m tools.check_submission`: the sheet's rules, checked on small repositories.

One handout is built for the module (`tools.make_handout`) and solved with the reference's solutions
(`tools.check_handout.solve`); each case copies it (the MNIST files hard-linked, never written) and changes one
thing: a line outside a gap, a marker, the loops of Conv2d.forward, the style inside a gap, feedback.md,
submission.pdf. The rules are called one by one where the case needs one rule; the correct solution runs the
whole check once (every graded part's tests), the class folder the tests of one part.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tools import check_submission
from tools.check_handout import mistake_code, solve
from tools.gaps import GAPS, fill_gap
from tools.handout_cases import conv_output as conv_output_cases
from tools.make_handout import build_handout
from tools.submission_rules import feedback, graded_tests, loops, outside_gaps, pdf, python38, reports, style
from tools.submission_rules.common import FAILED, NOT_CHECKED, PASSED
from tools.submission_rules.record import RECORD_PATH, read_record, record_of_handout
from tools.submission_rules.repository import Repository, list_files

REPO_ROOT = Path(__file__).resolve().parent.parent
HAS_PDFTOTEXT = pdf.pdftotext() is not None
FILLED_FEEDBACK = """# Feedback

## Major problems?
None, the padding took a while.

## Helpful?
Yes: writing the forward with two loops first.

## Duration in hours?
About 6.5

## Other feedback?
More exercises like this one.
"""


def tiny_pdf(*lines: str) -> bytes:
    """A minimal valid one-page PDF showing `lines` in Helvetica (the xref offsets computed here)."""
    shown = b" 0 -16 Td ".join(b"(%s) Tj" % line.encode("latin-1") for line in lines)
    content = b"BT /F1 12 Tf 72 720 Td " + shown + b" ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, start)


TEAM_PDF = tiny_pdf("Convolutional networks: submission", "Ada Lovelace, Matriculation no. 4711321",
                    "Alan Turing, Matriculation no. 5123987")
PLACEHOLDER_PDF = tiny_pdf("Convolutional networks: submission", "Name One", "Matriculation no. 0000000")


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    out = tmp_path_factory.mktemp("handout") / "handout"
    build_handout(REPO_ROOT, out)
    return out


@pytest.fixture(scope="module")
def solved(handout, tmp_path_factory):
    out = tmp_path_factory.mktemp("solved") / "solved"
    shutil.copytree(str(handout), str(out))
    solve(out, REPO_ROOT)
    return out


def _copy(source: str, target: str) -> None:
    if Path(source).parent.name == "data":  # never written by a case: share the 11 MB of MNIST
        os.link(source, target)
    else:
        shutil.copy2(source, target)


def copy_of(solved: Path, where: Path, finished: bool = True) -> Path:
    """A copy of the solved handout; `finished`: with an answered feedback.md and a submission.pdf naming the team."""
    shutil.copytree(str(solved), str(where), copy_function=_copy)
    if finished:
        (where / "feedback.md").write_text(FILLED_FEEDBACK, encoding="utf-8")
        (where / "submission.pdf").write_bytes(TEAM_PDF)
    return where


@pytest.fixture
def repo(solved, tmp_path):
    return copy_of(solved, tmp_path / "team")


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path: Path, text: str, nth: int = 0) -> int:
    """The 1-based number of the nth line that holds `text`."""
    return [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line][nth]


def outside(root: Path, record=None):
    return outside_gaps.check(record or read_record(root / RECORD_PATH, RECORD_PATH), Repository(root))


def options(*arguments: str) -> check_submission.Options:
    return check_submission.parse_arguments(list(arguments))


# ------------------------------------------------------------------ the correct solution, the whole check once

def test_a_correct_solution_passes_every_rule_and_says_what_it_could_not_check(repo):
    started = time.monotonic()
    report = check_submission.check_repository(repo, options(str(repo)))
    seconds = time.monotonic() - started
    statuses = {rule.key: rule.status for rule in report.rules}
    assert not report.error and seconds < 60
    assert [rule.key for rule in report.rules] == [key for key, _ in check_submission.RULES]
    expected = {key: PASSED for key, _ in check_submission.RULES}
    if not HAS_PDFTOTEXT:
        expected["pdf"] = NOT_CHECKED
    assert statuses == expected, check_submission.render_screen(report)
    tests = report.rules[4].data
    assert tests["passed"] == tests["total"] > 100 and tests["points"] == tests["max_points"] == 9
    assert [part["points"] for part in tests["parts"]] == [1, 2, 2, 2, 2]
    screen = check_submission.render_screen(report).splitlines()
    assert screen[0] == f"Submission check of {repo}" and len(screen) == 1 + len(check_submission.RULES) + 1
    assert screen[-1].startswith(f"Tests: {tests['total']}/{tests['total']} passed, 9/9 points. Rules: ")
    interpreter = report.rules[3].summary
    assert re.match(r"\d+ \.py files compiled with Python 3\.8\.\d+ \(", interpreter) or \
        interpreter.startswith("static check only (no Python 3.8 interpreter found): ")
    if HAS_PDFTOTEXT:
        assert report.passed and screen[-1].endswith(f"every rule passed ({report.seconds:.1f} s).")
        assert "first page names the team (2 matriculation numbers)" in screen[-2]
    else:
        assert screen[-2] == "[not checked] submission.pdf: a PDF, but its first page was not read: pdftotext is " \
                             "not installed (poppler-utils)"
    data = check_submission.as_json(report)
    assert json.loads(json.dumps(data))["rules"]["tests"]["parts"][0]["name"] == "output size"


def test_the_record_is_small_byte_reproducible_and_what_a_handout_folder_gives(handout, solved):
    shipped = (handout / RECORD_PATH).read_bytes()
    assert record_of_handout(handout, list_files).raw == shipped
    assert len(shipped) < 100_000 and str(handout).encode() not in shipped
    record = read_record(handout / RECORD_PATH, RECORD_PATH)
    assert sorted((gap.file, gap.function) for gap in record.gaps) == sorted(
        (gap.file, gap.function) for gap in GAPS.values())
    assert "tools/check_submission.py" in record.files and "data/train-images-idx3-ubyte.gz" in record.files
    assert [(part.name, part.points) for part in record.parts][:2] == [("output size", 1), ("warm-up", 2)]
    assert outside(solved).status == PASSED


# ------------------------------------------------------------------ rule 1: changes outside the gaps

def test_a_change_outside_a_gap_is_listed_as_file_line_with_the_line(repo, handout):
    network = repo / "lib/network.py"
    changed = line_of(network, "def parameters(self)")
    edit(network, "def parameters(self)", "def parameters(self, extra=None)")
    edit(repo / "lib/losses.py", "\n\n\nclass ", "\n\n\nHELPER = 1\nclass ")
    edit(repo / "tests/test_conv_layer.py", '"""\nimport ast\n', '"""\n\nimport ast\n')  # whitespace only
    (repo / "lib/helper.py").write_text("x = 1\n")
    result = outside(repo)
    assert result.status == FAILED and result.summary.startswith("3 changes in 3 files; 1 whitespace-only change")
    assert re.fullmatch(r"lib/losses\.py:\d+: added: `HELPER = 1`", result.details[0])
    assert result.details[1] == f"lib/network.py:{changed}: changed: `def parameters(self, extra=None) -> " \
                                f"Tuple[Parameter, Parameter]:`"
    assert result.details[2] == "lib/helper.py: added (the handout has no such file)"
    assert re.fullmatch(r"\(whitespace only\) tests/test_conv_layer\.py:\d+: a blank line added", result.details[3])


def test_a_removed_line_is_listed_with_its_text_where_the_handout_folder_is_given(repo, handout):
    network = repo / "lib/network.py"
    removed = line_of(network, "import numpy as np")
    edit(network, "import numpy as np\n", "")
    assert outside(repo).details == [f"lib/network.py:{removed}: removed the handout's line {removed}"]
    with_folder = outside(repo, record_of_handout(handout, list_files))
    assert with_folder.details == [f"lib/network.py:{removed}: removed the handout's line {removed}: "
                                   f"`import numpy as np`"]
    assert with_folder.data["record"] == f"the handout folder {handout}"


def test_whitespace_only_changes_and_crlf_line_endings_do_not_fail_the_rule(repo):
    path = repo / "lib/optimizers.py"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    edit(repo / "lib/losses.py", "):\n", "):   \n")
    result = outside(repo)
    assert result.status == PASSED and result.summary.startswith("none (compared with .handout/manifest.json); 1 ")
    assert re.fullmatch(r"\(whitespace only\) lib/losses\.py:\d+: whitespace changed: `.*`", result.details[0])


START, END = "# START TODO ################", "# END TODO ################"


def test_a_moved_or_removed_marker_is_reported(repo):
    conv = repo / "lib/convolutions.py"
    provided = "        feature_map = np.empty(self._compute_output_shape(x.shape))\n"
    edit(conv, provided + "\n        " + START, "        " + START + "\n" + provided)  # the forward's START moved up
    edit(conv, f"    {END}\n\n    return output\n", f"\n    return output\n    {END}\n")  # the output size's END down
    result = outside(repo)
    assert result.status == FAILED and result.summary == "2 marker problems in 1 file; 2 whitespace-only changes " \
                                                         "(listed apart, not counted)"
    assert result.details[:2] == [
        f"lib/convolutions.py:{line_of(conv, END)}: END TODO of calculate_conv_output moved down: 1 line of the "
        f"handout now inside the gap",
        f"lib/convolutions.py:{line_of(conv, START, 1)}: START TODO of Conv2d.forward moved up: 1 line of the "
        f"handout now inside the gap"]
    warmup = repo / "lib/convolution_warmup.py"
    first_start = line_of(warmup, START)
    edit(warmup, f"    {END}\n", "", 1)
    details = outside(repo).details
    assert f"lib/convolution_warmup.py:{first_start}: START TODO without its END TODO (another START follows at " \
           f"line {line_of(warmup, START, 1)})" in details
    assert any(re.fullmatch(r"lib/convolution_warmup\.py:\d+: the END TODO marker of pad_array removed", d)
               for d in details), details
    assert not any("pad_array moved" in d for d in details)


def test_a_gap_the_handout_does_not_have_is_reported(repo):
    edit(repo / "lib/network.py", "        return x @ self.W.data + self.b.data  # (N, M)\n",
         f"        {START}\n        return x @ self.W.data\n        {END}\n")
    details = outside(repo).details
    assert any(re.fullmatch(r"lib/network\.py:\d+: a START TODO / END TODO pair the handout does not have", d)
               for d in details), details


# ------------------------------------------------------------------ rule 2: the loops of Conv2d.forward

FORWARD_HEAD = "for i in range(feature_map.shape[2]):\n    for j in range(feature_map.shape[3]):\n"


@pytest.mark.parametrize("third, kind", [
    ("        for k in range(1):\n            pass\n", "for loop"),
    ("        while False:\n            pass\n", "while loop"),
    ("        _ = [v for v in range(1)]\n", "comprehension's for"),
])
def test_a_third_nested_loop_in_the_forward_fails_naming_its_line(repo, third, kind):
    conv = repo / "lib/convolutions.py"
    text = conv.read_text()
    solution = "\n".join(line.strip() and line for line in text.splitlines())
    assert "for i in range(feature_map.shape[2]):" in solution
    code = ("kh, kw = self.kernel_size\nsh, sw = self.stride\nph, pw = self.pad\n"
            "x_pad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))\nself.input_cache = x_pad\n" + FORWARD_HEAD +
            third + "        window = x_pad[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]\n"
            "        feature_map[:, :, i, j] = np.sum(window[:, None] * self.W.data[None], axis=(2, 3, 4))\n"
            "return feature_map + self.b.data\n")
    conv.write_text(fill_gap(text, "Conv2d.forward", code, "lib/convolutions.py"))
    third_line = line_of(conv, third.splitlines()[0].strip())
    result = loops.check(Repository(repo))
    assert result.status == FAILED
    assert result.summary == f"3 nested loops: the third, a {kind}, at lib/convolutions.py:{third_line}"
    assert result.details[0].startswith(f"lib/convolutions.py:{third_line}: a third nested loop ({kind}) inside "
                                        f"the for loop at line {third_line - 1} inside the for loop at line ")


def test_two_nested_loops_pass_and_a_file_that_does_not_parse_is_not_checked(repo):
    result = loops.check(Repository(repo))
    assert result.status == PASSED and result.summary.startswith("at most 2 nested (the deepest: 2, lines ")
    edit(repo / "lib/convolutions.py", "def backward(self, grad", "def backward(self grad")
    result = loops.check(Repository(repo))
    assert result.status == NOT_CHECKED and "lib/convolutions.py:" in result.summary and "not valid Python" in \
        result.summary


# ------------------------------------------------------------------ rule 3: style

def test_a_style_error_inside_a_gap_is_listed_first(repo):
    edit(repo / "lib/convolutions.py", "self.input_cache = x_padded\n", "self.input_cache=x_padded\n")
    result = style.check(Repository(repo))
    assert result.status == FAILED and result.summary == "1 finding (1 inside the gaps)"
    assert re.fullmatch(r"lib/convolutions\.py:\d+:\d+: E225 missing whitespace around operator", result.details[0])
    edit(repo / "lib/network.py", "import numpy as np\n", "import numpy as np \n")
    result = style.check(Repository(repo))
    assert result.summary == "2 findings (1 inside the gaps, 1 outside)" and "E225" in result.details[0]
    assert result.details[1].startswith("lib/network.py:") and "W291" in result.details[1]


# ------------------------------------------------------------------ rule 4: Python 3.8

def test_python_3_8_static_check_reads_the_gaps_for_newer_grammar_and_calls(repo):
    path = repo / "lib/experiments.py"
    text = path.read_text()
    code = "shifted_data = np.concat([original_data], axis=0)\nname = 'x'.removeprefix('y')\n"
    path.write_text(fill_gap(text, "shift_data", code, "lib/experiments.py"))
    result = python38.check(Repository(repo), None, ["lib/experiments.py"], [], time.monotonic() + 10)
    assert result.status == FAILED and "static check only (no Python 3.8 interpreter found)" in result.summary
    line = line_of(path, "np.concat(")
    assert result.details == [f"lib/experiments.py:{line}: np.concat needs numpy 2.0",
                              f"lib/experiments.py:{line + 1}: .removeprefix() needs Python 3.9"]
    path.write_text(fill_gap(text, "shift_data", "match shift:\n    case _:\n        shifted_data = original_data\n",
                             "lib/experiments.py"))
    result = python38.check(Repository(repo), None, ["lib/experiments.py"], [], time.monotonic() + 10)
    match_line = line_of(path, "match shift:")
    assert len(result.details) == 1 and result.details[0].startswith(f"lib/experiments.py:{match_line}: ")
    if sys.version_info >= (3, 10):
        assert result.details[0].endswith(": Pattern matching is only supported in Python 3.10 and greater")


def test_python_3_8_compiles_with_a_3_8_interpreter_where_one_exists(repo):
    interpreter = python38.find_python38()
    if interpreter is None:
        pytest.skip("no Python 3.8 interpreter here (the static check is tested above)")
    path = repo / "lib/experiments.py"
    path.write_text(fill_gap(path.read_text(), "shift_data", "with (open('a') as a, open('b') as b):\n    pass\n",
                             "lib/experiments.py"))
    result = python38.check(Repository(repo), interpreter, [], [], time.monotonic() + 30)
    assert result.status == FAILED and f"with Python {interpreter.version}" in result.summary
    where = re.match(r"lib/experiments\.py:(\d+): ", result.details[0])
    assert where and abs(int(where.group(1)) - line_of(path, "with (open")) <= 1, result.details


# ------------------------------------------------------------------ rule 5: the tests, as Classroom counts them

def test_a_failing_part_names_its_failures_in_the_tests_own_words(repo):
    path = repo / "lib/convolutions.py"
    code = mistake_code(conv_output_cases, "pads_once")
    path.write_text(fill_gap(path.read_text(), "calculate_conv_output", code, "lib/convolutions.py"))
    parts = [part for part in read_record(repo / RECORD_PATH, RECORD_PATH).parts if part.name == "output size"]
    outcomes = graded_tests.run_parts(parts, repo, time.monotonic() + 50)
    result = graded_tests.check(parts, outcomes)
    failed = [test for test in outcomes[0].tests if test.outcome == "failed"]
    assert result.status == FAILED and failed and not outcomes[0].earned
    assert result.summary == f"{outcomes[0].passed}/{len(outcomes[0].tests)} passed, 0/1 points (1 part without " \
                             f"points: output size)"
    assert result.details[0] == f"output size: {outcomes[0].passed}/{len(outcomes[0].tests)} passed, 0/1 points; " \
                                f"{failed[0].name}: {failed[0].message}"
    assert result.details[1:] == [f"output size: {test.name}: {test.message}" for test in failed[1:]]
    assert all(test.message and not test.message.startswith("AssertionError") for test in failed)


# ------------------------------------------------------------------ rules 6 and 7: feedback.md, submission.pdf

def test_feedback_blank_and_filled(repo, solved):
    blank = feedback.check(Repository(solved))
    assert blank.status == FAILED and blank.summary == "the blank template: answer its four questions"
    assert blank.details[0] == "feedback.md: 'Major problems?' is not answered"
    assert feedback.check(Repository(repo)).summary == "all 4 questions answered (duration: 6.5 h)"
    edit(repo / "feedback.md", "About 6.5", "a whole weekend")
    result = feedback.check(Repository(repo))
    assert result.status == FAILED and result.details == [
        "feedback.md: 'Duration in hours?' needs a number of hours (e.g. 6 or 5.5), got 'a whole weekend'"]


def test_the_questions_are_the_handout_templates(handout):
    headings = re.findall(r"^## (.+)$", (handout / "feedback.md").read_text(), re.MULTILINE)
    assert tuple(headings) == feedback.QUESTIONS


def test_submission_pdf_missing_not_a_pdf_and_not_read_without_pdftotext(repo, monkeypatch):
    (repo / "submission.pdf").unlink()
    assert pdf.check(Repository(repo)).summary == "submission.pdf is missing (the sheet asks for it in the " \
                                                  "repository's root)"
    (repo / "submission.pdf").write_bytes(b"PK\x03\x04 a zip file")
    result = pdf.check(Repository(repo))
    assert result.status == FAILED and result.summary.startswith("not a PDF: it does not start with %PDF-")
    (repo / "submission.pdf").write_bytes(TEAM_PDF[:-200])
    assert "no %%EOF at its end" in pdf.check(Repository(repo)).summary
    (repo / "submission.pdf").write_bytes(TEAM_PDF)
    monkeypatch.setattr(pdf, "pdftotext", lambda: None)
    result = pdf.check(Repository(repo))
    assert result.status == NOT_CHECKED and "pdftotext is not installed" in result.summary


@pytest.mark.skipif(not HAS_PDFTOTEXT, reason="pdftotext (poppler-utils) is not installed")
def test_submission_pdf_first_page_must_name_the_team(repo):
    assert pdf.check(Repository(repo)).status == PASSED
    (repo / "submission.pdf").write_bytes(PLACEHOLDER_PDF)
    result = pdf.check(Repository(repo))
    assert result.status == FAILED and result.summary == "the first page still holds template placeholders: " \
                                                         "'Name One', '0000000'"
    (repo / "submission.pdf").write_bytes(tiny_pdf("Ada Lovelace and Alan Turing"))
    assert pdf.check(Repository(repo)).summary == "the first page names no matriculation number"


def test_the_placeholders_of_team_tex_are_caught():
    team = (REPO_ROOT / "submission/team.tex").read_text()
    entries = re.findall(r"^\s*(Name \w+) \\\\ Matriculation no\.\\ (\d+)", team, re.MULTILINE)
    assert entries and all(pdf.placeholders(f"{name}\nMatriculation no. {number}") for name, number in entries)
    assert pdf.placeholders("Ada Lovelace\nMatriculation no. 4711321") == []


# ------------------------------------------------------------------ whole repositories, the command line

def run_tool(*arguments: str, cwd: Path = REPO_ROOT):
    return subprocess.run([sys.executable, "-m", "tools.check_submission"] + list(arguments), cwd=str(cwd),
                          capture_output=True, text=True, timeout=120)


def test_a_repository_that_is_not_the_courses_is_one_clear_error(tmp_path):
    (tmp_path / "other").mkdir()
    (tmp_path / "other/main.py").write_text("print('hello')\n")
    done = run_tool(str(tmp_path / "other"), "--python38", "none")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == f"error: {tmp_path / 'other'}: not a repository of the course's exercise (it has none of " \
                          f"lib/convolutions.py, lib/convolution_warmup.py, lib/experiments.py, " \
                          f"{RECORD_PATH})\n"


def test_bad_usage_is_one_line_and_status_2(tmp_path):
    for arguments, message in (([str(tmp_path / "missing")], "REPO"),
                               (["--jobs", "0"], "--jobs must be at least 1"),
                               (["--json", "--csv", str(tmp_path / "a.csv")], "exclude each other"),
                               (["--python38", sys.executable if sys.version_info[:2] != (3, 8) else "/bin/false"],
                                "not a Python 3.8 interpreter"),
                               (["--handout", str(tmp_path)], "--handout"),
                               (["--no-such-option"], "unrecognized arguments")):
        done = run_tool(*arguments, "--python38", "none") if "--python38" not in arguments else run_tool(*arguments)
        assert done.returncode == 2 and done.stdout == "", arguments
        assert done.stderr.count("\n") == 1 and message in done.stderr, (arguments, done.stderr)


def test_a_class_folder_gives_one_csv_row_per_repository_and_a_broken_one_is_a_row(solved, tmp_path, monkeypatch):
    one_part = graded_tests.run_parts
    monkeypatch.setattr(graded_tests, "run_parts", lambda parts, *args, **kwargs: one_part(
        [part for part in parts if part.name == "output size"], *args, **kwargs))
    folder = tmp_path / "class"
    folder.mkdir()
    copy_of(solved, folder / "team-a")
    changed = copy_of(solved, folder / "team-b", finished=False)
    edit(changed / "lib/network.py", "def parameters(self)", "def parameters(self, extra=None)")
    (folder / "team-c/.git").mkdir(parents=True)  # a clone that stopped before its checkout
    broken = copy_of(solved, folder / "team-d")
    (broken / RECORD_PATH).write_text("{not json")
    out = tmp_path / "class.csv"
    assert check_submission.main([str(folder), "--csv", str(out), "--python38", "none"]) == 1
    rows = list(csv_rows(out))
    assert [Path(row["repository"]).name for row in rows] == ["team-a", "team-b", "team-c", "team-d"]
    assert list(rows[0]) == reports.CSV_COLUMNS
    assert rows[0]["error"] == "" and rows[0]["outside_gaps"] == "passed" and rows[0]["feedback"] == "passed"
    assert rows[0]["tests_passed"] == rows[0]["tests_total"] != "0" and rows[0]["points"] == "1"
    assert rows[1]["outside_gaps"] == "failed" and rows[1]["outside_gaps_reason"].startswith("1 change in 1 file")
    assert rows[1]["feedback"] == "failed" and rows[1]["pdf"] == "failed" and rows[1]["passed"] == "no"
    assert rows[2]["error"] == "no files checked out (an empty or half-cloned repository)" and rows[2]["loops"] == ""
    assert rows[3]["error"].startswith(f"{RECORD_PATH}: not a handout record (") and rows[3]["passed"] == "no"


def csv_rows(path: Path):
    import csv
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)
