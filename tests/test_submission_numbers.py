"""The submission's numbers are the library's and the measurements', and its claims hold.

submission/submission.tex states no number by hand: every one is a macro of submission/numbers.tex, which
`python -m submission.make_numbers` computes and writes after checking every claim the text makes. These tests
check that numbers.tex is current and complete, recompute its values from the library and from the measured
files (read here with the csv module, independently of the readers), evaluate every written-out computation,
reject hand-typed numbers, and break each kind of claim to see the build stop with the claim's name.
"""
import csv
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lib.convolutions import calculate_conv_output
from lib.cross_correlation_1d import solve_pen_and_paper
from lib.studies.equivariance_lab import read_equivariance_csv, write_equivariance_csv
from lib.studies.shift_study import read_study_csv, write_study_csv
from submission import make_numbers

REPO_ROOT = Path(__file__).resolve().parent.parent
SUBMISSION = REPO_ROOT / "submission"
MEASURED = SUBMISSION / "measured"


def parse_macros(text: str) -> dict:
    """name -> body of every \\newcommand*{\\name}{body} in `text` (bodies may span lines: the table rows)."""
    return dict(re.findall(r"^\\newcommand\*?\{\\([A-Za-z]+)\}\{(.*?)\}$(?=\n\\newcommand|\n?\Z)", text, re.M | re.S))


@pytest.fixture(scope="module")
def macros():
    return parse_macros((SUBMISSION / "numbers.tex").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tex():
    return (SUBMISSION / "submission.tex").read_text(encoding="utf-8")


def checked_section(tex_text: str) -> str:
    match = re.search(r"% BEGIN checked\n(.*?)% END checked", tex_text, re.S)
    assert match, "submission.tex has no '% BEGIN checked' ... '% END checked' section"
    return match.group(1)


def read_rows(path: Path) -> list:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


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


def tex_value(body: str) -> float:
    r"""A relative error as make_numbers writes it: "0", "0.51", "1.2 \cdot 10^{-15}", "\infty", "\text{n/a}"."""
    if body in (r"\text{n/a}", r"\infty"):
        return math.nan if body == r"\text{n/a}" else math.inf
    match = re.fullmatch(r"(-?[\d.]+) \\cdot 10\^\{(-?\d+)\}", body)
    return float(match.group(1)) * 10.0 ** int(match.group(2)) if match else float(body)


# ------------------------------------------------------------------ numbers.tex is generated, current, complete
def test_numbers_tex_is_what_make_numbers_writes_now():
    """Fails when lib or submission/measured/ changed and the PDF was not rebuilt (or when a claim broke)."""
    expected = make_numbers.render(make_numbers.all_numbers())
    assert (SUBMISSION / "numbers.tex").read_text(encoding="utf-8") == expected, \
        "submission/numbers.tex is stale: run bash submission/build.sh"


def test_every_macro_the_tex_uses_is_computed(tex, macros):
    r"""Every \name of submission.tex is numbers.tex's, LaTeX's or defined in the .tex (pdflatex would also stop)."""
    defined = set(macros) | set(re.findall(r"\\newcommand\*?\{\\([A-Za-z]+)\}", tex))
    used = set(re.findall(r"\\([A-Za-z]+)", checked_section(tex)))
    computed = {name for name in used if re.match(
        r"(pp|conv|acc|drop|study|setup|eq|consistency|points|logitError|direction)[A-Z]", name)}
    assert len(computed) >= 100 and not computed - defined, f"undefined: {sorted(computed - defined)}"


def test_the_module_runs_from_the_root_without_path_edits():
    """`python -m submission.make_numbers` from the repository root (build.sh's call), with no sys.path edit."""
    assert "sys.path" not in (SUBMISSION / "make_numbers.py").read_text(encoding="utf-8")
    assert "-m submission.make_numbers" in (SUBMISSION / "build.sh").read_text(encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "submission.make_numbers", "--help"], cwd=str(REPO_ROOT),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "--from-results" in result.stdout, result.stderr


# ------------------------------------------------------------------ the library's numbers
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
        assert evaluate_tex(body) == pytest.approx(float(result), rel=1e-11, abs=1e-12), name


def test_output_size_examples_are_calculate_conv_outputs(macros):
    for name in ("Sheet", "LayerA", "LayerB"):
        size, kernel, stride, pad = (int(macros[f"conv{name}{key}"]) for key in "IKSP")
        assert int(macros[f"conv{name}Out"]) == calculate_conv_output([size], [kernel], [stride], [pad])[0]
    assert macros["convLayerBI"] == macros["convLayerAOut"]  # the second convolution reads the first one's maps
    assert (macros["convSheetOut"], macros["convLayerAOut"], macros["convLayerBOut"], macros["convFlat"]) == (
        "9", "14", "7", "490")


def test_setup_macros_are_the_librarys_and_the_commands():
    from lib.dataset_mnist import IMAGE_SIDE, NUM_CLASSES
    from lib.experiments import SHIFT
    from lib.model_training import NUM_EPOCHS
    from lib.models import LINEAR_UNITS
    found = make_numbers.setup("python run_shifted_conv_experiment.py --max_datapoints 1000 --study")
    assert (found["setupEpochs"], found["setupShift"], found["setupClasses"], found["setupHidden"]) == (
        NUM_EPOCHS, SHIFT, NUM_CLASSES, LINEAR_UNITS)
    assert found["setupPixels"] == IMAGE_SIDE ** 2
    assert (found["setupInChannels"], found["setupFiltersA"], found["setupFiltersB"]) == (1, 5, 10)
    assert found["setupTrainImages"] == found["setupValImages"] == "1\\,000"  # --max_datapoints 1000
    assert make_numbers.setup("python run_shifted_conv_experiment.py")["setupTrainImages"] == "10\\,000"  # default
    assert (found["eqStrideA"], found["eqStrideB"], found["eqShifts"]) == (2, 4, 81)


# ------------------------------------------------------------------ the measured numbers
def test_measured_accuracies_are_the_committed_measurements(macros):
    data = json.loads((MEASURED / make_numbers.ACCURACIES_JSON).read_text(encoding="utf-8"))
    for model in ("Mlp", "Cnn"):
        val, shifted = data[model.lower() + "_val"], data[model.lower() + "_val_shifted"]
        assert float(macros[f"acc{model}Val"]) == pytest.approx(100 * val, abs=0.005 + 1e-9)
        assert float(macros[f"acc{model}ValShifted"]) == pytest.approx(100 * shifted, abs=0.005 + 1e-9)
        assert float(macros[f"drop{model}"]) == pytest.approx(100 * (val - shifted), abs=0.005 + 1e-9)
    command = data["command"].replace("_", r"\_").replace("-", "-{}")
    assert macros["accCommand"] == rf"\texttt{{{command}}}"


def test_study_macros_and_tables_are_the_csv(macros):
    rows = read_rows(MEASURED / "shift_study.csv")
    accuracy = {(r["model"], int(r["dy"]), int(r["dx"])): 100 * float(r["val_accuracy"]) for r in rows}
    models = list(dict.fromkeys(r["model"] for r in rows))
    for model in models:
        for suffix, shift in make_numbers.STUDY_SHIFTS.items():
            value = float(macros[f"study{make_numbers.camel(model)}{suffix}"])
            assert value == pytest.approx(accuracy[(model, *shift)], abs=0.005 + 1e-9), (model, suffix)
        study_row = [f"{accuracy[(model, s, s)]:.2f}" for s in range(7)]
        assert f"{model} & " + " & ".join(study_row) + r" \\" in macros["studyRows"].splitlines()
        directions = [f"{accuracy[(model, dy, dx)]:.2f}" for dy, dx in ((0, 2), (2, 0), (2, 2), (-2, -2))]
        assert f"{model} & " + " & ".join(directions) + r" \\" in macros["directionRows"].splitlines()
    for model, baseline in make_numbers.BASELINES.items():  # "costs/gains <points> points of clean accuracy"
        points = abs(round(accuracy[(model, 0, 0)], 2) - round(accuracy[(baseline, 0, 0)], 2))
        assert float(macros[f"points{make_numbers.camel(model)}"]) == pytest.approx(points, abs=1e-9), model
    assert macros["studyShiftHeader"] == "0 & 1 & 2 & 3 & 4 & 5 & 6"


def test_consistency_macros_and_table_are_the_csv(macros):
    rows = read_rows(MEASURED / "consistency.csv")
    assert len(rows) == 9 == len(macros["consistencyRows"].splitlines())
    for row in rows:
        consistency, clean = (f"{100 * float(row[key]):.2f}" for key in ("consistency", "clean_accuracy"))
        assert macros[f"consistency{make_numbers.camel(row['model'])}"] == consistency
        assert f"{row['model']} & {clean} & {consistency} \\\\" in macros["consistencyRows"].splitlines()


def test_every_models_logit_error_is_the_median_of_its_csv_rows(macros):
    rows = read_rows(MEASURED / "equivariance.csv")
    for name in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == name]
        last = max(int(r["layer_index"]) for r in mine)
        values = [float(r["relative_error"]) for r in mine if int(r["layer_index"]) == last
                  and (r["dy"], r["dx"]) != ("0", "0") and not math.isnan(float(r["relative_error"]))]
        shown = tex_value(macros[f"logitError{make_numbers.camel(name)}"])
        assert shown == pytest.approx(float(np.median(values)), rel=0.05), name


def test_the_course_cnns_equivariance_macros_are_the_csvs(macros):
    cnn = [r for r in read_rows(MEASURED / "equivariance.csv") if r["model"] == "CNN"]
    for name, index, stride in (("ConvA", 0, 2), ("ConvB", 2, 4), ("Logits", 5, None)):
        errors = {(int(r["dy"]), int(r["dx"])): float(r["relative_error"]) for r in cnn
                  if int(r["layer_index"]) == index}
        grid = {s for s in errors if (s == (0, 0) if stride is None else s[0] % stride == 0 == s[1] % stride)}
        assert macros[f"eq{name}GridCount"] == str(len(grid))
        assert tex_value(macros[f"eq{name}GridMax"]) == pytest.approx(max(errors[s] for s in grid), rel=0.05, abs=0)
        off = min(e for s, e in errors.items() if s not in grid and not math.isnan(e))
        assert tex_value(macros[f"eq{name}OffMin"]) == pytest.approx(off, rel=0.05), name
    assert (macros["eqConvAGridCount"], macros["eqConvBGridCount"]) == ("25", "9")


@pytest.mark.parametrize("value, shown", [(0.0, "0"), (1.234e-15, r"1.2 \cdot 10^{-15}"), (0.2871, "0.29"),
                                          (1.5, "1.5"), (math.inf, r"\infty"), (math.nan, r"\text{n/a}"),
                                          (0.004, r"4.0 \cdot 10^{-3}")])
def test_relative_errors_are_written_with_two_significant_digits(value, shown):
    assert make_numbers.error_tex(value) == shown
    assert make_numbers.tex(make_numbers.RelativeError(value)) == shown


def test_tex_escape_makes_commands_safe():
    assert make_numbers.tex_escape("a_b %c {d} ~ --x") == r"a\_b \%c \{d\} \textasciitilde{} -{}-{}x"


def test_model_names_become_macro_parts():
    assert [make_numbers.camel(name) for name in ("MLP + aug", "MaxBlurPool CNN", "MLP centred", "GAP CNN")] == [
        "MlpAug", "MaxBlurPoolCnn", "MlpCentred", "GapCnn"]


# ------------------------------------------------------------------ a claim that no longer holds stops the build
@pytest.fixture
def measured_copy(tmp_path):
    for name in make_numbers.MEASURED_FILES:
        shutil.copyfile(str(MEASURED / name), str(tmp_path / name))
    return tmp_path


def change_study(folder: Path, model: str, shift: tuple, accuracy: float) -> None:
    rows = read_study_csv(folder / "shift_study.csv")
    write_study_csv([dict(r, val_accuracy=accuracy) if (r["model"], r["dy"], r["dx"]) == (model, *shift) else r
                     for r in rows], folder / "shift_study.csv")


def change_csv(folder: Path, name: str, model: str, **values) -> None:
    rows = read_rows(folder / name)
    with open(folder / name, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(dict(r, **values) if r["model"] == model else r for r in rows)


def test_every_claim_holds_for_the_committed_measurements_and_has_its_own_name():
    data = make_numbers.read_measured()
    said = make_numbers.claims(make_numbers.all_numbers(), data)
    assert len(said) >= 40 and all(holds for _, holds in said)
    assert len({name for name, _ in said}) == len(said), "two claims share a name: a message would not say which"


@pytest.mark.parametrize("break_it, claim", [
    (lambda f: change_study(f, "GAP CNN", (2, 2), 0.4),
     "GAP CNN raises the accuracy at the sheet's shift over the CNN"),
    (lambda f: change_study(f, "MLP + aug", (0, 0), 0.99), "MLP + aug costs clean accuracy against the MLP"),
    (lambda f: change_study(f, "CNN", (2, 0), 0.95), "the CNN loses more for a vertical shift than for a horizontal"),
    (lambda f: change_csv(f, "consistency.csv", "MLP", consistency="1.0000"),
     "neither the CNN nor the MLP is shift-invariant"),
    (lambda f: change_csv(f, "consistency.csv", "CNN", clean_accuracy="0.9000"),
     "the study's and the lab's CNN is the course CNN of the first table"),
    (lambda f: write_equivariance_csv([dict(r, relative_error=0.5) if (r["model"], r["layer_index"], r["dy"], r["dx"])
                                       == ("CNN", 0, 2, 2) else r for r in read_equivariance_csv(
                                           f / "equivariance.csv")], f / "equivariance.csv"),
     "the first convolution moves exactly for every shift on its grid"),
    (lambda f: (f / "shifted_accuracies.json").write_text(json.dumps(dict(
        json.loads((f / "shifted_accuracies.json").read_text()), mlp_val_shifted=0.9))),
     "the CNN's drop is smaller than the MLP's"),
])
def test_a_claim_that_no_longer_holds_stops_the_build_with_its_name(measured_copy, break_it, claim):
    make_numbers.all_numbers(measured_copy)  # the copy holds every claim
    break_it(measured_copy)
    with pytest.raises(make_numbers.ClaimError, match=re.escape(claim)):
        make_numbers.all_numbers(measured_copy)


def test_a_missing_or_malformed_measurement_stops_the_build_with_the_files_name(measured_copy):
    (measured_copy / "feature_maps.png").unlink()
    with pytest.raises(make_numbers.ClaimError, match=r"missing in .*: feature_maps.png"):
        make_numbers.all_numbers(measured_copy)
    shutil.copyfile(str(MEASURED / "feature_maps.png"), str(measured_copy / "feature_maps.png"))
    (measured_copy / "consistency.csv").write_text("model,consistency\nCNN,0.5\n", encoding="utf-8")
    with pytest.raises(make_numbers.ClaimError, match=r"cannot read .*consistency.csv \(KeyError\('clean_accuracy'"):
        make_numbers.all_numbers(measured_copy)


def test_from_results_copies_the_measured_files_and_writes_numbers_tex(tmp_path, monkeypatch):
    results, measured = tmp_path / "results", tmp_path / "measured"
    results.mkdir()
    measured.mkdir()
    for name in make_numbers.MEASURED_FILES:
        shutil.copyfile(str(MEASURED / name), str(results / name))
    monkeypatch.setattr(make_numbers, "RESULTS_DIR", results)
    monkeypatch.setattr(make_numbers, "MEASURED_DIR", measured)
    monkeypatch.setattr(make_numbers, "NUMBERS_TEX", tmp_path / "numbers.tex")
    make_numbers.main(["--from-results"])
    for name in make_numbers.MEASURED_FILES:
        assert (measured / name).read_bytes() == (results / name).read_bytes(), name
    assert (tmp_path / "numbers.tex").read_text() == (SUBMISSION / "numbers.tex").read_text()


# ------------------------------------------------------------------ submission.tex states no number by hand
def test_checked_sections_contain_no_hand_typed_numbers(tex):
    section = re.sub(r"(?<!\\)%.*", "", checked_section(tex))  # comments
    section = re.sub(r"\d*\.?\d+\s*(?:cm|mm|pt|em|ex|\\linewidth|\\textwidth)", " ", section)  # lengths: layout
    section = re.sub(r"\\[A-Za-z]+", " ", section)  # macro names (letters only, so digits are never part of one)
    section = re.sub(r"_\{[^{}]*\}|_\d", " ", section)  # subscripts are indices (x_3, x_{i+k}), not values
    literals = re.findall(r"\d+(?:\.\d+)?", section)
    assert literals, "expected the structural 0, 1, 2 of the formulas"
    assert set(literals) <= {"0", "1", "2"}, f"hand-typed numbers in submission.tex: {sorted(set(literals))}"


def test_every_pen_and_paper_value_is_shown(tex):
    used = set(re.findall(r"\\(pp[A-Za-z]+|conv[A-Za-z]+)", checked_section(tex)))
    shown = {"ppX", "ppW", "ppB", "ppY", "ppLr", "ppYHatA", "ppYHatB", "ppLoss", "ppGradYHatA", "ppGradYHatB",
             "ppGradWA", "ppGradWB", "ppGradWC", "ppGradB", "ppWNewA", "ppWNewB", "ppWNewC", "ppBNew",
             "ppYHatNewA", "ppYHatNewB", "ppLossNew", "convSheetOut", "convLayerAOut", "convLayerBOut", "convFlat"}
    assert shown <= used, f"not shown: {sorted(shown - used)}"


def test_the_checked_region_covers_the_answers(tex):
    section = checked_section(tex)
    for heading in (r"\section{Shifted data", "What do you observe", "How could the MLP", "Why is the CNN not"):
        assert heading in section, heading


# ------------------------------------------------------------------ the team
def test_the_team_file_is_input_and_named_in_the_title(tex):
    team = (SUBMISSION / "team.tex").read_text(encoding="utf-8")
    assert r"\input{team.tex}" in tex and r"\author{\teammembers}" in tex
    assert re.search(r"^\\newcommand\{\\teammembers\}", team, re.M)
    assert team.startswith("%"), "team.tex starts with a comment that says what to edit"
    assert tex.index(r"\input{team.tex}") < tex.index(r"\begin{document}")


# ------------------------------------------------------------------ the committed PDF
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_committed_pdf_shows_the_librarys_numbers():
    pdf = REPO_ROOT / "submission.pdf"
    assert pdf.is_file(), "submission.pdf is missing: run bash submission/build.sh"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, timeout=60).stdout
    for shown in ["61.064", "0.72", "1.56", "0.28", "8.84", "12.68", "46.7856", "75.3424", "= 490"]:
        assert shown in text, shown
