"""The submission's numbers are the library's: numbers.tex is generated, current, and arithmetically right.

Every number that submission/submission.tex states comes from a macro in submission/numbers.tex (written
by submission/make_numbers.py). These tests parse both files and check the macros against
lib.cross_correlation_1d (and lib.convolutions), evaluate every written-out computation, recompute every
measured value and every number-dependent phrase from the measured CSVs (the committed ones and a
complete synthetic set), and reject hand-typed numbers in the checked sections.
"""
import csv
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
    section = re.sub(r"\d*\.?\d+\s*(?:cm|mm|pt|em|ex|\\linewidth|\\textwidth)", " ", section)  # lengths: layout
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


def test_the_checked_region_covers_the_answers(tex):
    section = checked_section(tex)
    for heading in (r"\section{Shifted data", "What do you observe", "How could the MLP", "Why is the CNN not"):
        assert heading in section, heading


def test_every_macro_the_tex_uses_is_defined(tex, macros):
    defined = set(macros) | set(re.findall(r"\\newcommand\*?\{\\([A-Za-z]+)\}", tex))
    prefixes = ("pp|conv|acc|drop|study|setup|eq|consistency|clean|shift|compare|axis|diagonal|labCommand|"
                "featureMaps|measured")
    used = set(re.findall(rf"\\((?:{prefixes})[A-Za-z]*)", tex))
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
    """The columns lib/studies/shift_study.py writes; `shift` there is max(|dy|, |dx|), so dy and dx take precedence."""
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


# ------------------------------------------------------------------ the lab, the study's nine models, the phrases
STUDY_MODELS = ("MLP", "CNN", "GAP CNN", "MLP + aug", "MaxPool CNN", "BlurPool CNN", "MaxBlurPool CNN", "MLP centred",
                "CNN + aug")
COURSE_CNN_LAYERS = ("Conv2d", "ReLU", "Conv2d", "ReLU", "Flatten", "Linear")
COURSE_CNN_STRIDES = {"ConvA": 2, "ConvB": 4}  # pixels between the cells of its first and second convolution
LAB_SHIFTS = range(-4, 5)
STUDY_SHIFTS = [(s, s) for s in range(7)] + [(0, 2), (2, 0), (-2, -2)]
MEASURED_MACROS = ("accMlpVal", "accMlpValShifted", "accCnnVal", "accCnnValShifted", "dropMlp", "dropCnn",
                   "dropComparison", "accCommand", "studyCommand", "studyTable", "studyDirectionsTable",
                   "consistencyTable", "labCommand") + tuple(
    f"eq{layer}{field}" for layer in ("ConvA", "ConvB", "Logits")
    for field in ("GridMax", "OffMin", "Exact", "GridCount", "Verdict"))


def write_full_measurements(folder: Path) -> Path:
    """A complete synthetic set of measured files (the formats the experiments write), with the course CNN's
    error pattern, a nan, an inf, a fix that keeps its clean accuracy and one that costs some."""
    rng = np.random.default_rng(7)
    (folder / "shifted_accuracies.json").write_text(json.dumps(
        {"mlp_val": 0.9435, "mlp_val_shifted": 0.4213, "cnn_val": 0.9637, "cnn_val_shifted": 0.53,
         "command": "python run_shifted_conv_experiment.py --max_datapoints 1000 --study --equivariance --json j"}))
    study = ["model,direction,shift,dy,dx,val_accuracy"]
    for dy, dx in STUDY_SHIFTS:
        for name in STUDY_MODELS:
            accuracy = 0.9435 if name in ("MLP", "MLP centred") and (dy, dx) == (0, 0) else rng.uniform(0.05, 0.99)
            study.append(f"{name},d,{max(abs(dy), abs(dx))},{dy},{dx},{accuracy:.4f}")
    (folder / "shift_study.csv").write_text("\n".join(study) + "\n")
    rows = ["model,layer_index,layer,dy,dx,relative_error"]
    for name in STUDY_MODELS:
        layers = COURSE_CNN_LAYERS if name == "CNN" else ("Conv2d", "ReLU", "Flatten", "Linear")
        for dy in LAB_SHIFTS:
            for dx in LAB_SHIFTS:
                for index, layer in enumerate(layers):
                    stride = (2, 2, 4, 4)[index] if index < 4 else None
                    follows = (dy, dx) == (0, 0) if stride is None else dy % stride == 0 == dx % stride
                    error = ("0" if (dy, dx) == (0, 0) else f"{rng.uniform(0, 3e-16):.3e}") if follows \
                        else f"{rng.uniform(0.05, 1.5):.3e}"
                    if name == "CNN" and (index, dy, dx) == (2, 4, -3):
                        error = "nan"  # nothing to compare
                    if name == "CNN" and (index, dy, dx) == (3, 1, 1):
                        error = "inf"
                    rows.append(f"{name},{index},{layer},{dy},{dx},{error}")
    (folder / "equivariance.csv").write_text("\n".join(rows) + "\n")
    consistency = ["model,consistency,clean_accuracy"] + [
        f"{name},{rng.uniform(0.3, 1):.4f},{rng.uniform(0.8, 0.99):.4f}" for name in STUDY_MODELS]
    consistency[1 + STUDY_MODELS.index("MLP + aug")] = "MLP + aug,0.5000,0.9000"
    consistency[1 + STUDY_MODELS.index("MLP")] = "MLP,0.5000,0.9000"  # equal consistency: "leaves"
    (folder / "consistency.csv").write_text("\n".join(consistency) + "\n")
    for figure in ("shift_study.png", "equivariance.png", "feature_maps.png"):
        (folder / figure).write_bytes(b"\x89PNG\r\n\x1a\n")
    return folder


def generated(folder: Path) -> str:
    """The numbers.tex that make_numbers writes from the measured files in `folder`."""
    return make_numbers.render(*make_numbers.all_macros(folder))


@pytest.fixture(scope="module")
def full_measurements(tmp_path_factory):
    folder = write_full_measurements(tmp_path_factory.mktemp("measured"))
    return folder, generated(folder)


@pytest.fixture(params=["committed", "synthetic"])
def numbers_and_sources(request, full_measurements):
    """(numbers.tex text, folder of its measured files): the committed pair, and the synthetic complete set."""
    if request.param == "committed":
        return (SUBMISSION / "numbers.tex").read_text(encoding="utf-8"), SUBMISSION / "measured"
    folder, text = full_measurements
    return text, folder


def read_rows(path: Path) -> list:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def entries(text: str, kind: str) -> list:
    r"""The arguments of every \<kind>{...}{...}... line of numbers.tex (brace groups without nested braces)."""
    return [re.findall(r"\{((?:[^{}]|\{[^{}]*\})*)\}", line) for line in text.splitlines()
            if line.startswith("\\" + kind + "{")]


def tex_value(body: str) -> float:
    r"""A relative error as make_numbers writes it: "0", "0.51", "1.2 \cdot 10^{-15}", "\infty", "\text{n/a}"."""
    if body == r"\text{n/a}":
        return math.nan
    if body == r"\infty":
        return math.inf
    match = re.fullmatch(r"(-?[\d.]+) \\cdot 10\^\{(-?\d+)\}", body)
    return float(match.group(1)) * 10.0 ** int(match.group(2)) if match else float(body)


def assert_two_digits(body: str, value: float, name: str):
    shown = tex_value(body)
    if math.isnan(value) or math.isinf(value) or value == 0:
        assert shown == value or (math.isnan(shown) and math.isnan(value)), name
    else:
        assert shown == pytest.approx(value, rel=0.05, abs=0), f"{name}: {body} for {value}"


def test_the_course_cnns_equivariance_macros_are_the_csvs(numbers_and_sources):
    text, folder = numbers_and_sources
    found = parse_macros(text)
    path = folder / "equivariance.csv"
    if not path.is_file():
        assert all(found[f"eq{layer}{field}"] == TBD for layer in ("ConvA", "ConvB", "Logits")
                   for field in ("GridMax", "OffMin", "Exact", "GridCount", "Verdict"))
        return
    cnn = [row for row in read_rows(path) if row["model"] == "CNN"]
    convolutions = sorted({int(r["layer_index"]) for r in cnn if r["layer"] == "Conv2d"})
    layers = {"ConvA": (convolutions[0], 2), "ConvB": (convolutions[1], 4),
              "Logits": (max(int(r["layer_index"]) for r in cnn), None)}
    for name, (index, stride) in layers.items():
        errors = {(int(r["dy"]), int(r["dx"])): float(r["relative_error"]) for r in cnn
                  if int(r["layer_index"]) == index}
        grid = {s for s in errors if (s == (0, 0) if stride is None else s[0] % stride == 0 == s[1] % stride)}
        on = [errors[s] for s in grid if not math.isnan(errors[s])]
        off = [e for s, e in errors.items() if s not in grid and not math.isnan(e)]
        assert_two_digits(found[f"eq{name}GridMax"], max(on), name)
        assert_two_digits(found[f"eq{name}OffMin"], min(off), name)
        exact = {s for s, e in errors.items() if e < 1e-12}
        assert found[f"eq{name}Exact"] == str(len(exact)) and found[f"eq{name}GridCount"] == str(len(grid))
        verdict = found[f"eq{name}Verdict"]
        if exact == grid:
            assert verdict.endswith("and for no other shift") and " only " not in verdict, verdict
            assert f"all {len(grid)} " in verdict or len(grid) == 1, verdict
        else:
            assert not verdict.endswith("and for no other shift") or " only " in verdict, verdict
    assert found["eqStrideA"] == str(COURSE_CNN_STRIDES["ConvA"]) and found["eqStrideB"] == str(
        COURSE_CNN_STRIDES["ConvB"])


def test_the_synthetic_course_cnn_reads_as_expected(full_measurements):
    """The pattern of write_full_measurements in words: every layer follows exactly the shifts on its grid."""
    found = parse_macros(full_measurements[1])
    tail = "pixels along both axes and for no other shift"
    assert found["eqConvAVerdict"] == "for all 25 shifts by multiples of 2 " + tail
    assert found["eqConvBVerdict"] == "for all 9 shifts by multiples of 4 " + tail
    assert found["eqLogitsVerdict"] == "for the zero shift and for no other shift"
    assert (found["eqConvAExact"], found["eqConvBExact"], found["eqLogitsExact"]) == ("25", "9", "1")
    assert found["eqLogitsGridMax"] == "0" and "10^{-16}" in found["eqConvAGridMax"]


def test_every_models_logit_error_is_the_median_of_its_csv_rows(numbers_and_sources):
    text, folder = numbers_and_sources
    found = {model: value for model, value in entries(text, "eqentry")}
    path = folder / "equivariance.csv"
    if not path.is_file():
        assert not found
        return
    rows = read_rows(path)
    for name in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == name]
        last = max(int(r["layer_index"]) for r in mine)
        values = [float(r["relative_error"]) for r in mine if int(r["layer_index"]) == last
                  and (r["dy"], r["dx"]) != ("0", "0") and not math.isnan(float(r["relative_error"]))]
        assert_two_digits(found[key(name)], float(np.median(values)), name)


def test_consistency_entries_and_table_are_the_csv(numbers_and_sources):
    text, folder = numbers_and_sources
    found = {model: (consistency, clean) for model, consistency, clean in entries(text, "consistencyentry")}
    path = folder / "consistency.csv"
    if not path.is_file():
        assert not found and parse_macros(text)["consistencyTable"] == TBD
        return
    rows = read_rows(path)
    assert set(found) == {key(r["model"]) for r in rows}
    for row in rows:
        consistency, clean = found[key(row["model"])]
        assert float(consistency) == pytest.approx(100 * float(row["consistency"]), abs=0.005 + 1e-9)
        assert float(clean) == pytest.approx(100 * float(row["clean_accuracy"]), abs=0.005 + 1e-9)
        assert f"{row['model']} & {clean} & {consistency} \\\\" in text


def test_study_entries_are_the_csv_for_every_model(numbers_and_sources):
    text, folder = numbers_and_sources
    found = {(model, int(dy), int(dx)): value for model, dy, dx, value in entries(text, "studyentry")}
    path = folder / "shift_study.csv"
    if not path.is_file():
        assert not found
        return
    rows = read_rows(path)
    assert len(found) == len(rows)
    for row in rows:
        value = found[(key(row["model"]), int(row["dy"]), int(row["dx"]))]
        assert float(value) == pytest.approx(100 * float(row["val_accuracy"]), abs=0.005 + 1e-9)
    table = parse_macros(text)["studyTable"]  # first line only: the table spans lines
    assert table.startswith(r"\begin{tabular}")
    assert all(f"\n{name} & " in text for name in {r["model"] for r in rows})


def test_every_phrase_says_what_the_numbers_say(numbers_and_sources):
    """\\cleancost, \\shiftgain, \\consistencygain, \\axisverdict, \\diagonalverdict: verb and values, recomputed."""
    text, folder = numbers_and_sources
    phrases = {(kind, model, baseline): phrase for kind, model, baseline, phrase in entries(text, "compareentry")}
    study_path, consistency_path = folder / "shift_study.csv", folder / "consistency.csv"
    study = {(key(r["model"]), int(r["dy"]), int(r["dx"])): 100 * float(r["val_accuracy"])
             for r in (read_rows(study_path) if study_path.is_file() else [])}
    consistency = {key(r["model"]): 100 * float(r["consistency"])
                   for r in (read_rows(consistency_path) if consistency_path.is_file() else [])}
    expected_kinds = {"clean": bool(study), "shift": bool(study), "axis": bool(study), "diagonal": bool(study),
                      "consistency": bool(consistency)}
    assert {kind for kind, _, _ in phrases} == {kind for kind, present in expected_kinds.items() if present}

    def pct(value):
        return f"{value:.2f}\\,\\%"

    for (kind, model, baseline), phrase in phrases.items():
        if kind == "clean":
            new, old = study[(model, 0, 0)], study[(baseline, 0, 0)]
            points = round(round(new, 2) - round(old, 2), 2)
            word = "keeps" if points == 0 else "costs" if points < 0 else "gains"
            assert phrase.startswith(word), phrase
            assert points == 0 or f"{abs(points):.2f} points" in phrase, phrase
        elif kind in ("shift", "consistency"):
            values = study if kind == "shift" else consistency
            new, old = ((values[(m, 2, 2)] for m in (model, baseline)) if kind == "shift"
                        else (values[m] for m in (model, baseline)))
            word = "leaves" if round(new, 2) == round(old, 2) else "raises" if new > old else "lowers"
            assert phrase.startswith(word) and pct(old) in phrase and pct(new) in phrase, phrase
        elif kind == "axis":
            vertical, horizontal = study[(model, 2, 0)], study[(model, 0, 2)]
            word = "as much" if round(vertical, 2) == round(horizontal, 2) else (
                "more" if vertical < horizontal else "less")
            assert phrase.startswith(f"loses {word}") and f"{vertical:.2f}" in phrase, phrase
        else:
            both, worse = study[(model, 2, 2)], min(study[(model, 2, 0)], study[(model, 0, 2)])
            word = "loses more" if round(both, 2) < round(worse, 2) else "loses no more"
            assert phrase.startswith(word) and f"({both:.2f} against " in phrase, phrase


def test_the_synthetic_set_has_each_kind_of_verb(full_measurements):
    """write_full_measurements makes fixes that keep, cost and gain, so every branch above is exercised."""
    phrases = [phrase for *_, phrase in entries(full_measurements[1], "compareentry")]
    for start in ("keeps", "costs", "gains", "raises", "lowers", "leaves"):
        assert any(phrase.startswith(start) for phrase in phrases), start


def test_every_lookup_the_tex_reads_exists_for_complete_measurements(tex, full_measurements):
    """With every measured file present, no \\studyacc, \\cleancost, ... of submission.tex falls back to TBD."""
    text = full_measurements[1]
    macros = parse_macros(text)
    lookups = {"studyacc": ("studyentry", 3), "consistencyof": ("consistencyentry", 1),
               "cleanaccof": ("consistencyentry", 1), "eqlogitsof": ("eqentry", 1),
               "cleancost": ("compareentry", 2), "shiftgain": ("compareentry", 2),
               "consistencygain": ("compareentry", 2), "axisverdict": ("compareentry", 1),
               "diagonalverdict": ("compareentry", 1)}
    kinds = {"cleancost": "clean", "shiftgain": "shift", "consistencygain": "consistency", "axisverdict": "axis",
             "diagonalverdict": "diagonal"}
    key_length = {"studyentry": 3, "consistencyentry": 1, "eqentry": 1, "compareentry": 3}
    available = {kind: {tuple(arguments[:length]) for arguments in entries(text, kind)}
                 for kind, length in key_length.items()}
    checked = 0
    for name, (entry, count) in lookups.items():
        for match in re.finditer(r"\\" + name + r"((?:\{[^{}]*\}){" + str(count) + "})", checked_section(tex)):
            arguments = [macros.get(a[1:], a) if a.startswith("\\") else a
                         for a in re.findall(r"\{([^{}]*)\}", match.group(1))]
            if name in kinds:
                arguments = [kinds[name]] + arguments * (3 - len(arguments))  # \axisverdict{m}: model twice
            wanted = tuple(arguments[:key_length[entry]])
            assert wanted in available[entry], f"\\{name}{match.group(1)}: no {entry} {wanted}"
            checked += 1
    assert checked >= 30


def test_missing_sources_give_tbd(tmp_path):
    found, lines = make_numbers.all_macros(tmp_path)
    assert all(found[name] == TBD for name in MEASURED_MACROS), [n for n in MEASURED_MACROS if found[n] != TBD]
    assert (found["studyFigure"], found["eqFigure"], found["featureMapsFigure"]) == ("", "", "")
    assert lines == []


def test_missing_lookups_show_tbd_in_the_pdf(tex):
    r"""A lookup without its entry expands to \tbd: \measured falls back to it."""
    assert r"\newcommand{\measured}[1]{\ifcsname #1\endcsname\csname #1\endcsname\else\tbd\fi}" in tex
    for name in ("studyacc", "consistencyof", "cleanaccof", "eqlogitsof", "cleancost", "shiftgain",
                 "consistencygain", "axisverdict", "diagonalverdict"):
        assert re.search(r"\\newcommand\{\\" + name + r"\}\[\d\]\{\\measured\{", tex), name


def test_one_missing_lab_file_leaves_the_others(tmp_path):
    folder = write_full_measurements(tmp_path)
    (folder / "consistency.csv").unlink()
    (folder / "feature_maps.png").unlink()
    found, lines = make_numbers.all_macros(folder)
    assert found["consistencyTable"] == TBD and found["featureMapsFigure"] == ""
    assert found["eqConvAExact"] == "25" and found["eqFigure"] == "measured/equivariance.png"
    assert not any(line.startswith((r"\consistencyentry", r"\compareentry{consistency}")) for line in lines)
    assert found["labCommand"] == found["accCommand"]  # the JSON's command has --equivariance


def test_setup_macros_are_the_librarys_and_the_commands(full_measurements):
    from lib.dataset_mnist import IMAGE_SIDE, NUM_CLASSES
    from lib.experiments import SHIFT
    from lib.model_training import NUM_EPOCHS
    from lib.models import LINEAR_UNITS
    found = parse_macros(full_measurements[1])
    assert (found["setupEpochs"], found["setupShift"], found["setupClasses"], found["setupHidden"]) == (
        str(NUM_EPOCHS), str(SHIFT), str(NUM_CLASSES), str(LINEAR_UNITS))
    assert found["setupPixels"] == str(IMAGE_SIDE ** 2)
    assert (found["setupInChannels"], found["setupFiltersA"], found["setupFiltersB"]) == ("1", "5", "10")
    assert found["setupTrainImages"] == found["setupValImages"] == "1\\,000"  # --max_datapoints 1000
    assert parse_macros(make_numbers.render(*make_numbers.all_macros(Path("/nonexistent"))))[
        "setupTrainImages"] == "10\\,000"  # the scripts' default


def test_from_results_copies_the_lab_files(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    write_full_measurements(results)
    copied = make_numbers.copy_from_results(results, tmp_path / "measured")
    for name in ("equivariance.csv", "consistency.csv", "equivariance.png", "feature_maps.png", "shift_study.csv"):
        assert name in copied and (tmp_path / "measured" / name).read_bytes() == (results / name).read_bytes()


@pytest.mark.parametrize("value, shown", [(0.0, "0"), (1.234e-15, r"1.2 \cdot 10^{-15}"), (0.2871, "0.29"),
                                          (1.5, "1.5"), (math.inf, r"\infty"), (math.nan, r"\text{n/a}"),
                                          (0.004, r"4.0 \cdot 10^{-3}")])
def test_relative_errors_are_written_with_two_significant_digits(value, shown):
    assert make_numbers.error_number(value) == shown


@pytest.mark.parametrize("exact, expected, phrase", [
    ({(0, 0), (2, 2)}, {(0, 0), (2, 2)}, "for all 2 shifts and for no other shift"),
    ({(0, 0)}, {(0, 0), (2, 2)}, "for only 1 of the 2 shifts and for no other shift"),
    ({(0, 0), (1, 1), (1, 2)}, {(0, 0)}, "for the shifts and for 2 other shifts"),
    (set(), {(0, 0)}, "not even for the shifts and for no other shift"),
])
def test_exact_verdict(exact, expected, phrase):
    assert make_numbers.exact_verdict(exact, expected, "shifts") == phrase


@pytest.mark.parametrize("reader, content, match", [
    ("read_equivariance", "model,layer,dy,dx,relative_error\nCNN,Conv2d,0,0,0\n",
     r"expected columns model, layer_index"),
    ("read_equivariance", "model,layer_index,layer,dy,dx,relative_error\nCNN,0,Conv2d,0,x,0\n",
     r"row 2: malformed layer index, shift or error"),
    ("read_equivariance", "model,layer_index,layer,dy,dx,relative_error\nCNN,0,Conv2d,0,0,-1\n",
     r"row 2: relative_error must be >= 0, got -1.0"),
    ("read_consistency", "model,consistency\nCNN,0.5\n", r"expected columns model, consistency, clean_accuracy"),
    ("read_consistency", "model,consistency,clean_accuracy\nCNN,50,0.9\n", r"row 2: .* must be in \[0, 1\]"),
])
def test_malformed_lab_csvs_raise_a_clear_error(tmp_path, reader, content, match):
    path = tmp_path / "lab.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        getattr(make_numbers, reader)(path)


def test_a_csv_whose_cnn_is_not_the_course_cnn_is_rejected(tmp_path):
    (tmp_path / "equivariance.csv").write_text("model,layer_index,layer,dy,dx,relative_error\nCNN,0,Linear,0,0,0\n")
    with pytest.raises(ValueError, match=r"layer 0 of the model 'CNN' should be the course CNN's Conv2d"):
        make_numbers.lab_macros(tmp_path)


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
