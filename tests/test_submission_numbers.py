"""The submission's numbers are the library's: numbers.tex is generated, current, and arithmetically right.

Every number that submission/submission.tex states for the pen-and-paper task and the output-size
examples comes from a macro in submission/numbers.tex (written by submission/make_numbers.py). These
tests parse both files and check the macros against lib.cross_correlation_1d (and lib.convolutions),
evaluate every written-out computation, and reject hand-typed numbers in the checked sections.
"""
import importlib.util
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from lib.cross_correlation_1d import solve_pen_and_paper

REPO_ROOT = Path(__file__).resolve().parent.parent
SUBMISSION = REPO_ROOT / "submission"
TBD = r"\tbd"


def load_make_numbers():
    spec = importlib.util.spec_from_file_location("make_numbers", str(SUBMISSION / "make_numbers.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_numbers = load_make_numbers()


def parse_macros(text: str) -> dict:
    """name -> body of every one-line \\newcommand{\\name}{body} (or \\newcommand*) in `text`."""
    return dict(re.findall(r"^\\newcommand\*?\{\\([A-Za-z]+)\}\{(.*)\}$", text, re.M))


@pytest.fixture(scope="module")
def macros():
    return parse_macros((SUBMISSION / "numbers.tex").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tex():
    return (SUBMISSION / "submission.tex").read_text(encoding="utf-8")


def evaluate_tex(expression: str) -> float:
    """Evaluate a LaTeX arithmetic expression of numbers, + - \\cdot ^, \\frac, \\tfrac, brackets and floors."""
    text = expression.replace(r"\left\lfloor", "floor(").replace(r"\right\rfloor", ")")
    for left, right in ((r"\left[", r"\right]"), (r"\left(", r"\right)")):
        text = text.replace(left, "(").replace(right, ")")
    text = re.sub(r"\\t?frac\{([^{}]*)\}\{([^{}]*)\}", r"((\1)/(\2))", text)
    text = text.replace(r"\cdot", "*").replace("^", "**")
    text = re.sub(r"\)\s*\(", ")*(", text)  # juxtaposition is multiplication: \tfrac{1}{2}\left[...\right]
    assert re.fullmatch(r"[0-9.+\-*/() floor]*", text), f"not plain arithmetic: {expression!r} -> {text!r}"
    return eval(text, {"__builtins__": {}}, {"floor": math.floor})  # noqa: S307 (checked to be arithmetic)


def as_numbers(body: str) -> np.ndarray:
    """A macro body "(1.56, 0.28, 2)" or "14" or "(-3)" as a float array."""
    inner = body[1:-1] if body.startswith("(") and body.endswith(")") else body
    return np.array([float(part) for part in inner.split(",")])


def checked_section(tex_text: str) -> str:
    match = re.search(r"% BEGIN checked\n(.*?)% END checked", tex_text, re.S)
    assert match, "submission.tex has no '% BEGIN checked' ... '% END checked' section"
    return match.group(1)


# ------------------------------------------------------------------ numbers.tex is generated and current
def test_numbers_tex_is_what_make_numbers_writes_now():
    """Fails when the library, lib.convolutions or submission/measured/ changed and the PDF was not rebuilt."""
    expected = make_numbers.render(*make_numbers.all_macros())
    assert (SUBMISSION / "numbers.tex").read_text(encoding="utf-8") == expected, \
        "submission/numbers.tex is stale: run bash submission/build.sh"


def test_every_intermediate_value_of_the_pen_and_paper_task_is_the_librarys(macros):
    solution = solve_pen_and_paper()
    checked = 0
    for field, value in solution._asdict().items():
        camel = "".join(part[:1].upper() + part[1:] for part in field.split("_"))
        values = np.atleast_1d(value)
        np.testing.assert_allclose(as_numbers(macros["pp" + camel]), values, rtol=1e-11, atol=1e-12, err_msg=field)
        if np.ndim(value):
            for i, v in enumerate(values):
                np.testing.assert_allclose(float(macros["pp" + camel + "ABCD"[i]]), v, rtol=1e-11, atol=1e-12)
        checked += 1
    assert checked == 15


def test_the_sheets_hand_derivation_appears_in_numbers_tex(macros):
    for name, body in {"ppYHat": "(14, 20)", "ppLoss": "200", "ppGradYHat": "(12, 16)", "ppGradW": "(44, 72, 100)",
                       "ppGradB": "28", "ppWNew": "(1.56, 0.28, 2)", "ppBNew": "0.72", "ppYHatNew": "(8.84, 12.68)",
                       "ppLossNew": "61.064"}.items():
        assert macros[name] == body


def test_every_written_out_computation_evaluates_to_its_result(macros):
    expressions = {name: body for name, body in macros.items() if re.search(r"(Sum|Step|Squares)$", name)}
    assert len(expressions) >= 20
    for name, body in expressions.items():
        result = macros[re.sub(r"(Sum|Step|Squares)$", "", name)]
        if TBD in body or TBD in result:
            continue
        assert evaluate_tex(body) == pytest.approx(float(result), rel=1e-11, abs=1e-12), name


def test_output_size_examples_are_calculate_conv_outputs(macros):
    convolutions = pytest.importorskip("lib.convolutions")
    for name in ("Sheet", "LayerA", "LayerB"):
        size, kernel, stride, pad = (int(macros[f"conv{name}{key}"]) for key in "IKSP")
        assert int(macros[f"conv{name}Out"]) == convolutions.calculate_conv_output([size], [kernel], [stride], [pad])[0]
    assert macros["convLayerBI"] == macros["convLayerAOut"]  # the second convolution reads the first one's maps
    assert (macros["convSheetOut"], macros["convLayerAOut"], macros["convLayerBOut"], macros["convFlat"]) == (
        "9", "14", "7", "490")


def test_measured_accuracies_are_the_committed_measurements(macros):
    path = SUBMISSION / "measured" / make_numbers.ACCURACIES_FILE
    keys = {"accMlpVal": "mlp_val", "accMlpValShifted": "mlp_val_shifted", "accCnnVal": "cnn_val",
            "accCnnValShifted": "cnn_val_shifted"}
    if not path.is_file():
        assert all(macros[name] == TBD for name in keys), "accuracies stated without a measurement file"
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    for name, key in keys.items():
        assert float(macros[name]) == pytest.approx(100 * data[key], abs=0.005 + 1e-9)


# ------------------------------------------------------------------ submission.tex states no number by hand
def test_checked_sections_contain_no_hand_typed_numbers(tex):
    section = re.sub(r"(?<!\\)%.*", "", checked_section(tex))  # comments
    section = re.sub(r"\\[A-Za-z]+", " ", section)  # macro names (letters only, so digits are never part of one)
    section = re.sub(r"_\{[^{}]*\}|_\d", " ", section)  # subscripts are indices (x_3, x_{i+k}), not values
    literals = re.findall(r"\d+(?:\.\d+)?", section)
    assert literals, "expected the structural 0, 1, 2 of the formulas"
    assert set(literals) <= {"0", "1", "2"}, f"hand-typed numbers in submission.tex: {sorted(set(literals))}"


def test_every_pen_and_paper_value_is_shown(tex, macros):
    used = set(re.findall(r"\\(pp[A-Za-z]+|conv[A-Za-z]+)", checked_section(tex)))
    shown = {"ppX", "ppW", "ppB", "ppY", "ppLr", "ppYHatA", "ppYHatB", "ppLoss", "ppGradYHatA", "ppGradYHatB",
             "ppGradWA", "ppGradWB", "ppGradWC", "ppGradB", "ppWNewA", "ppWNewB", "ppWNewC", "ppBNew",
             "ppYHatNewA", "ppYHatNewB", "ppLossNew", "convSheetOut", "convLayerAOut", "convLayerBOut", "convFlat"}
    assert shown <= used, f"not shown: {sorted(shown - used)}"


def test_every_macro_the_tex_uses_is_defined(tex, macros):
    defined = set(macros) | set(re.findall(r"\\newcommand\*?\{\\([A-Za-z]+)\}", tex))
    used = set(re.findall(r"\\((?:pp|conv|acc|drop|study)[A-Za-z]*)", tex))
    assert not used - defined, f"undefined: {sorted(used - defined)}"


# ------------------------------------------------------------------ make_numbers' readers
def test_study_csv_with_diagonal_shifts_and_directions(tmp_path):
    (tmp_path / "shift_study.csv").write_text("model,dy,dx,accuracy\nMLP,2,2,0.5\nGAP CNN,-2,-2,0.9251\n",
                                              encoding="utf-8")
    (tmp_path / "shift_study_command.txt").write_text("python run_shifted_conv_experiment.py --study\n")
    found, lines = make_numbers.experiment_macros(tmp_path)
    assert lines == [r"\studyentry{gapcnn}{-2}{-2}{92.51}", r"\studyentry{mlp}{2}{2}{50.00}"]
    assert found["studyCommand"] == r"\texttt{python run\_shifted\_conv\_experiment.py -{}-{}study}"
    assert found["accMlpVal"] == TBD and found["studyFigure"] == ""


def test_study_csv_with_a_shift_column_builds_the_table(tmp_path):
    path = tmp_path / "shift_study.csv"
    path.write_text("model,shift,accuracy\ncnn,0,0.97\ncnn,1,0.9\nmlp,0,0.95\n", encoding="utf-8")
    assert make_numbers.read_study(path) == {("cnn", 0, 0): ("cnn", 0.97), ("cnn", 1, 1): ("cnn", 0.9),
                                             ("mlp", 0, 0): ("mlp", 0.95)}
    table = make_numbers.study_table(make_numbers.read_study(path))
    assert r"cnn & 97.00 & 90.00 \\" in table and r"mlp & 95.00 & -- \\" in table


def test_the_shift_studys_csv_format_is_read(tmp_path):
    """The columns lib/shift_study.py writes; `shift` there is max(|dy|, |dx|), so dy and dx take precedence."""
    (tmp_path / "shift_study.csv").write_text(
        "model,direction,shift,dy,dx,val_accuracy\n"
        "MLP,right+down,0,0,0,0.95\nMLP,right+down,2,2,2,0.41\nMLP,right,2,0,2,0.6\nMLP,up-left,2,-2,-2,0.55\n"
        "MLP + aug,right+down,2,2,2,0.93\n", encoding="utf-8")
    (tmp_path / "shifted_accuracies.json").write_text(json.dumps(
        {"mlp_val": 0.95, "mlp_val_shifted": 0.41, "cnn_val": 0.97, "cnn_val_shifted": 0.8,
         "command": "python run_shifted_conv_experiment.py --json results/shifted_accuracies.json --study"}))
    found, lines = make_numbers.experiment_macros(tmp_path)
    assert r"\studyentry{mlp}{0}{2}{60.00}" in lines and r"\studyentry{mlp}{-2}{-2}{55.00}" in lines
    assert r"\studyentry{mlpaug}{2}{2}{93.00}" in lines
    assert r"MLP & 95.00 & 41.00 \\" in found["studyTable"] and r"MLP + aug & -- & 93.00 \\" in found["studyTable"]
    assert "-2" not in found["studyTable"]  # the up-left shift is not a column of the right+down sweep
    assert found["studyCommand"] == found["accCommand"]  # --study: one command wrote both files


def test_accuracies_json_gives_percentages_drops_and_the_command(tmp_path):
    data = {"mlp_val": 0.9401, "mlp_val_shifted": 0.4, "cnn_val": 0.96, "cnn_val_shifted": 0.8,
            "command": "python run_shifted_conv_experiment.py"}
    (tmp_path / "shifted_accuracies.json").write_text(json.dumps(data), encoding="utf-8")
    found, _ = make_numbers.experiment_macros(tmp_path)
    assert (found["accMlpVal"], found["accMlpValShifted"], found["accCnnVal"]) == ("94.01", "40.00", "96.00")
    assert (found["dropMlp"], found["dropCnn"], found["dropComparison"]) == ("54.01", "16.00", "smaller than")
    assert found["accCommand"] == r"\texttt{python run\_shifted\_conv\_experiment.py}"


@pytest.mark.parametrize("content, match", [
    ({"mlp_val": 0.9, "mlp_val_shifted": 0.5, "cnn_val": 1.5, "cnn_val_shifted": 0.8, "command": "x"},
     r"'cnn_val' must be an accuracy in \[0, 1\], got 1.5"),
    ({"mlp_val": 0.9, "mlp_val_shifted": 0.5, "cnn_val": 0.9, "cnn_val_shifted": 0.8},
     r"'command' must be the command line"),
])
def test_malformed_accuracies_json_raises_a_clear_error(tmp_path, content, match):
    path = tmp_path / "shifted_accuracies.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        make_numbers.read_accuracies(path)


@pytest.mark.parametrize("content, match", [
    ("model,acc\nmlp,0.5\n", r"expected columns model, accuracy \(or val_accuracy\) and dy, dx \(or shift\)"),
    ("model,shift,accuracy\nmlp,two,0.5\n", r"row 2: malformed shift or accuracy"),
    ("model,shift,accuracy\nmlp,2,95\n", r"row 2: accuracy must be in \[0, 1\], got 95.0"),
])
def test_malformed_study_csv_raises_a_clear_error(tmp_path, content, match):
    path = tmp_path / "shift_study.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        make_numbers.read_study(path)


def test_tex_escape_makes_commands_safe():
    assert make_numbers.tex_escape("a_b %c {d} ~ --x") == r"a\_b \%c \{d\} \textasciitilde{} -{}-{}x"


# ------------------------------------------------------------------ the committed PDF
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_committed_pdf_shows_the_librarys_numbers():
    pdf = REPO_ROOT / "submission.pdf"
    assert pdf.is_file(), "submission.pdf is missing: run bash submission/build.sh"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, timeout=60).stdout
    for shown in ["61.064", "0.72", "1.56", "0.28", "8.84", "12.68", "46.7856", "75.3424", "= 490"]:
        assert shown in text, shown
