"""Write submission/numbers.tex: every number that submission.tex states, as LaTeX macros computed by code.

Sources (nothing in the PDF is typed by hand):
* the pen-and-paper task: `lib.cross_correlation_1d.solve_pen_and_paper()` (macros `\\pp...`);
* the output-size examples: `lib.convolutions.calculate_conv_output` (macros `\\conv...`);
* the set-up of the experiments, the study and the lab: constants of `lib/` (macros `\\setup...`, `\\study...`,
  `\\eq...` without a measurement, `\\consistencyMaxShift`, ...);
* the measured experiments, from the committed copies under `submission/measured/` (so that the build
  does not need `results/`); `--from-results` first copies them there from `results/`:
  - `shifted_accuracies.json`: {"mlp_val", "mlp_val_shifted", "cnn_val", "cnn_val_shifted": accuracies
    in [0, 1] as `compare_on_shifted_data` returns them, "command": the command line that produced them};
  - `shift_study.csv` (lib/studies/shift_study.py): columns `model`, `val_accuracy` (or `accuracy`) and `dy`, `dx`
    (pixels down and right; negative: up/left; without them `shift` = pixels right and down), one row per
    model and shift;
  - `shift_study_command.txt`: the command line that produced the CSV (one line); if it is missing and the
    JSON's command has `--study`, that command produced both;
  - `shift_study.png`: the study's plot;
  - `equivariance.csv` (lib/studies/equivariance_lab.py): columns `model`, `layer_index`, `layer`, `dy`, `dx`,
    `relative_error` ("0", "1.234e-15", "nan" or "inf"), one row per model, layer and shift; the course
    CNN is the model "CNN";
  - `consistency.csv` (lib/studies/equivariance_lab.py): columns `model`, `consistency`, `clean_accuracy`, in [0, 1];
  - `equivariance_command.txt`: the command line that produced the two CSVs; if it is missing and the
    JSON's command has `--equivariance`, that command produced them;
  - `equivariance.png`, `feature_maps.png`: the lab's heatmaps of the course CNN and its feature maps.
  A missing source gives the placeholder `\\tbd` (a bold "TBD" in the PDF) instead of its numbers; a
  missing figure gives an empty path macro (`\\studyFigure`, `\\eqFigure`, `\\featureMapsFigure`).

Lookups (numbers.tex defines entries, submission.tex reads them and shows `\\tbd` for a missing one):
`\\studyentry{model}{dy}{dx}{percent}` (read by `\\studyacc`), `\\consistencyentry{model}{consistency}{clean}`
(`\\consistencyof`, `\\cleanaccof`), `\\eqentry{model}{error}` (`\\eqlogitsof`: the model's median logit error
over the non-zero shifts), and `\\compareentry{kind}{model}{baseline}{phrase}` (kinds clean, shift, consistency,
axis, diagonal; read by `\\cleancost`, `\\shiftgain`, `\\consistencygain`, `\\axisverdict`, `\\diagonalverdict`): a
phrase whose verb ("costs", "gains" or "keeps"; "raises", "lowers" or "leaves"; "loses more" or "loses less") the
measured values choose.
Model keys are the CSV's names reduced to lower-case letters and digits ("MLP + aug" -> "mlpaug").

Expression macros (names ending in `Sum`, `Step`, `Squares`) write a computation out, e.g.
`\\ppYHatASum` = `2 \\cdot 1 + 1 \\cdot 2 + 3 \\cdot 3 + 1`; tests/test_submission_numbers.py evaluates
each and checks it against its value macro (`\\ppYHatA` = 14), and checks every value against the library.

Usage: python submission/make_numbers.py [--from-results]   (submission/build.sh runs it)
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import re
import shlex
import shutil
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

import numpy as np

SUBMISSION_DIR = Path(__file__).resolve().parent
REPO_ROOT = SUBMISSION_DIR.parent
if str(REPO_ROOT) not in sys.path:  # run as a script: make `lib` importable from any working directory
    sys.path.insert(0, str(REPO_ROOT))

from lib.cross_correlation_1d import solve_pen_and_paper  # noqa: E402
from solve_pen_and_paper import format_number, product_terms  # noqa: E402
from lib.studies import equivariance_lab, shift_study  # noqa: E402
from lib.cli.options import experiment_argument_parser  # noqa: E402
from lib.convolutions import Conv2d, calculate_conv_output  # noqa: E402
from lib.dataset_mnist import IMAGE_SIDE, NUM_CLASSES, NUM_TRAIN, TRAIN_IMAGES  # noqa: E402
from lib.equivariance.measure import SWEEP_SHIFTS as EQ_SHIFTS, Geometry, receptive_fields  # noqa: E402
from lib.experiments import SHIFT  # noqa: E402
from lib.model_training import NUM_EPOCHS  # noqa: E402
from lib.models import LINEAR_UNITS, create_conv_model  # noqa: E402
from lib.network import Sequential  # noqa: E402
from lib.equivariance.measure import EXACT  # noqa: E402
from lib.utilities import atomic_write, atomic_write_text  # noqa: E402

MEASURED_DIR = SUBMISSION_DIR / "measured"
NUMBERS_TEX = SUBMISSION_DIR / "numbers.tex"
RESULTS_DIR = REPO_ROOT / "results"
ACCURACIES_FILE = "shifted_accuracies.json"
STUDY_CSV = "shift_study.csv"
STUDY_COMMAND_FILE = "shift_study_command.txt"
STUDY_FIGURE = "shift_study.png"
EQUIVARIANCE_CSV = equivariance_lab.EQUIVARIANCE_CSV
CONSISTENCY_CSV = equivariance_lab.CONSISTENCY_CSV
LAB_COMMAND_FILE = "equivariance_command.txt"
EQUIVARIANCE_FIGURE = equivariance_lab.EQUIVARIANCE_PNG
FEATURE_MAPS_FIGURE = equivariance_lab.FIGURES[0]  # feature_maps.png
MEASURED_FILES = (ACCURACIES_FILE, STUDY_CSV, STUDY_COMMAND_FILE, STUDY_FIGURE, EQUIVARIANCE_CSV, CONSISTENCY_CSV,
                  LAB_COMMAND_FILE, EQUIVARIANCE_FIGURE, FEATURE_MAPS_FIGURE)
TBD = r"\tbd"
NOT_AVAILABLE = r"\text{n/a}"  # an error with nothing to compare (nan in the CSV)
ACCURACY_KEYS = ("mlp_val", "mlp_val_shifted", "cnn_val", "cnn_val_shifted")
COURSE_CNN = "cnn"  # the course CNN's model key in equivariance.csv and consistency.csv
# (model, baseline) pairs that submission.tex compares: each fix against the model it changes; MaxBlurPool also
# against MaxPool (Zhang's anti-aliasing of the same network).
COMPARISONS = (("gapcnn", "cnn"), ("maxpoolcnn", "cnn"), ("blurpoolcnn", "cnn"), ("maxblurpoolcnn", "cnn"),
               ("maxblurpoolcnn", "maxpoolcnn"), ("cnnaug", "cnn"), ("mlpaug", "mlp"), ("mlpcentred", "mlp"))

# Output-size examples (name, input size, kernel, stride, padding): show_conv_output_dims.py's, and the
# course model's two convolutions (create_conv_model: 4x4 kernels, stride 2, padding 1, 5 then 10 filters).
CONV_EXAMPLES = (("Sheet", 7, 3, 1, 2), ("LayerA", 28, 4, 2, 1), ("LayerB", 14, 4, 2, 1))
COURSE_MODEL_FILTERS = 10  # filters of the second convolution: its 10 maps feed Linear(10*7*7, 10)


# ---------------------------------------------------------------------------------------- LaTeX helpers
def macro_name(field: str, index: Optional[int] = None, suffix: str = "", prefix: str = "pp") -> str:
    r"""TeX macro name (letters only) for a field: ("y_hat", 0, "Sum") -> "ppYHatASum" (used as \ppYHatASum)."""
    camel = "".join(part[:1].upper() + part[1:] for part in field.split("_"))
    letter = "" if index is None else chr(ord("A") + index)
    return prefix + camel + letter + suffix


def number(value: float) -> str:
    """A number as LaTeX math text; negative numbers in parentheses so that `a - (-b)` reads right."""
    text = format_number(value)
    return f"({text})" if text.startswith("-") else text


def products(pairs: Sequence[Tuple[float, float]]) -> str:
    return " + ".join(f"{number(a)} \\cdot {number(b)}" for a, b in pairs)


def tex_escape(text: str) -> str:
    """Escape the characters that LaTeX treats specially, for commands shown in \\texttt."""
    replacements = {"\\": r"\textbackslash{}", "_": r"\_", "%": r"\%", "&": r"\&", "#": r"\#", "$": r"\$",
                    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                    "-": "-{}"}  # "-{}" keeps "--study" from becoming an en dash
    return "".join(replacements.get(char, char) for char in text)


def percent(accuracy: float) -> str:
    """An accuracy in [0, 1] as a percentage with two decimals (exact for 10,000 validation images)."""
    return f"{100.0 * accuracy:.2f}"


def error_number(value: float) -> str:
    r"""A relative error as LaTeX math with two significant digits: "0", "0.51", "1.2 \cdot 10^{-15}", "\infty"."""
    if math.isnan(value):
        return NOT_AVAILABLE
    if math.isinf(value):
        return r"\infty"
    if value == 0.0:
        return "0"
    mantissa, exponent = f"{value:.1e}".split("e")
    if -2 <= int(exponent) <= 1:
        return f"{value:.2g}"
    return f"{mantissa} \\cdot 10^{{{int(exponent)}}}"


def thousands(count: int) -> str:
    r"""An integer with thin spaces between groups of three digits: 10000 -> "10\,000"."""
    return f"{count:,}".replace(",", r"\,")


# ---------------------------------------------------------------------------------------- the macros
def pen_and_paper_macros() -> Dict[str, str]:
    """Macros of the pen-and-paper task: every value of the solution and the sums that produce them."""
    s = solve_pen_and_paper()
    macros = {}
    for field, value in s._asdict().items():
        if isinstance(value, float):
            macros[macro_name(field)] = number(value)
        else:
            macros[macro_name(field)] = "(" + ", ".join(number(v) for v in value) + ")"
            for i, v in enumerate(value):
                macros[macro_name(field, i)] = number(v)
    macros["ppLenX"], macros["ppLenW"], macros["ppLenYHat"] = (str(s.x.size), str(s.w.size), str(s.y_hat.size))
    macros["ppLenYHatSum"] = f"{s.x.size} - {s.w.size} + 1"

    terms = product_terms(s)
    for field, bias in (("y_hat", s.b), ("y_hat_new", s.b_new)):
        for i, pairs in enumerate(terms[field]):
            macros[macro_name(field, i, "Sum")] = f"{products(pairs)} + {number(bias)}"
    for k, pairs in enumerate(terms["grad_w"]):
        macros[macro_name("grad_w", k, "Sum")] = products(pairs)
    for i in range(s.y.size):
        macros[macro_name("grad_y_hat", i, "Sum")] = f"{number(s.y_hat[i])} - {number(s.y[i])}"
    macros[macro_name("grad_b", suffix="Sum")] = " + ".join(number(g) for g in s.grad_y_hat)
    for field, y_hat in (("loss", s.y_hat), ("loss_new", s.y_hat_new)):
        residuals = " + ".join(f"({number(t)} - {number(p)})^2" for t, p in zip(s.y, y_hat))
        squares = " + ".join(number((t - p) ** 2) for t, p in zip(s.y, y_hat))
        macros[macro_name(field, suffix="Sum")] = f"\\tfrac{{1}}{{2}}\\left[{residuals}\\right]"
        macros[macro_name(field, suffix="Squares")] = f"\\tfrac{{1}}{{2}}\\left({squares}\\right)"
    for k in range(s.w.size):
        macros[macro_name("w_new", k, "Step")] = f"{number(s.w[k])} - {number(s.lr)} \\cdot {number(s.grad_w[k])}"
    macros[macro_name("b_new", suffix="Step")] = f"{number(s.b)} - {number(s.lr)} \\cdot {number(s.grad_b)}"
    return macros


def conv_macros() -> Dict[str, str]:
    """Macros of the output-size examples, computed by lib.convolutions.calculate_conv_output."""
    macros = {}
    for name, size, kernel, stride, pad in CONV_EXAMPLES:
        for key, value in (("I", size), ("K", kernel), ("S", stride), ("P", pad)):
            macros[f"conv{name}{key}"] = str(value)
        macros[f"conv{name}OutSum"] = (f"\\left\\lfloor \\frac{{{size} + 2 \\cdot {pad} - {kernel}}}{{{stride}}}"
                                       f" \\right\\rfloor + 1")
        macros[f"conv{name}Out"] = str(calculate_conv_output([size], [kernel], [stride], [pad])[0])
    last = int(macros["convLayerBOut"])
    macros["convFlatSum"] = f"{COURSE_MODEL_FILTERS} \\cdot {last} \\cdot {last}"
    macros["convFlat"] = str(COURSE_MODEL_FILTERS * last ** 2)
    return macros


def study_design_macros() -> Dict[str, str]:
    """The shift study's set-up as lib/studies/shift_study.py defines it."""
    return {"studyMaxShift": str(max(shift_study.SWEEP_SHIFTS)), "studyAugCopies": str(shift_study.AUGMENT_COPIES),
            "studyAugMaxShift": str(shift_study.MAX_AUGMENT_SHIFT),
            "studyGapChannels": ", ".join(str(c) for c in shift_study.GAP_CHANNELS)}


def setup_macros(command: str = "") -> Dict[str, str]:
    """The experiments' set-up: the course models' sizes, epochs, the sheet's shift, and the number of images.

    Args:
        command: the measured command line (shifted_accuracies.json); its --max_datapoints (or the scripts'
            default when it has none, or when there is no command) gives the numbers of images.
    """
    arguments = shlex.split(command)[2:]  # without "python script.py"
    max_datapoints = experiment_argument_parser("", "").parse_known_args(arguments)[0].max_datapoints
    first, second = course_convolutions()
    return {"setupEpochs": str(NUM_EPOCHS), "setupTrainImages": thousands(max_datapoints),
            "setupValImages": thousands(min(max_datapoints, TRAIN_IMAGES.count - NUM_TRAIN)),
            "setupShift": str(SHIFT), "setupClasses": str(NUM_CLASSES), "setupPixels": str(IMAGE_SIDE ** 2),
            "setupHidden": str(LINEAR_UNITS), "setupInChannels": str(first.in_channels),
            "setupFiltersA": str(first.out_channels), "setupFiltersB": str(second.out_channels)}


def course_cnn() -> Tuple[Sequential, List[Optional[Geometry]]]:
    """The course CNN (`create_conv_model`) and the geometry of its layers, without touching the global stream."""
    state = np.random.get_state()  # the builder draws weights from np.random; leave the caller's stream alone
    try:
        model = create_conv_model()
    finally:
        np.random.set_state(state)
    return model, receptive_fields(model)


def course_convolutions() -> List[Conv2d]:
    """The course CNN's two convolutions, in order."""
    return [module for module in course_cnn()[0].modules if isinstance(module, Conv2d)]


def lab_design_macros() -> Dict[str, str]:
    """The equivariance lab's set-up: the sweep, the exactness threshold, the consistency's shifts, the strides."""
    model, geometries = course_cnn()
    strides = [geometries[i].stride for i, module in enumerate(model.modules) if isinstance(module, Conv2d)]
    exponent = math.log10(EXACT)
    return {"eqMaxShift": str(max(EQ_SHIFTS)), "eqShifts": str(len(EQ_SHIFTS) ** 2),
            "eqImages": str(equivariance_lab.SWEEP_IMAGES),
            "eqExactThreshold": f"10^{{{round(exponent)}}}" if exponent == round(exponent) else error_number(EXACT),
            "eqStrideA": str(strides[0][0]), "eqStrideB": str(strides[1][0]),
            "consistencyMaxShift": str(equivariance_lab.CONSISTENCY_MAX_SHIFT),
            "consistencyPairs": str(equivariance_lab.CONSISTENCY_PAIRS)}


def read_accuracies(path: Path) -> Dict[str, float]:
    """The four accuracies of run_shifted_conv_experiment.py and its command, from the JSON file.

    Raises:
        ValueError: naming the file and the key, if a key is missing or an accuracy is not in [0, 1].
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    values = {}
    for key in ACCURACY_KEYS:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise ValueError(f"{path}: {key!r} must be an accuracy in [0, 1], got {value!r}")
        values[key] = float(value)
    if not isinstance(data.get("command"), str) or not data["command"].strip():
        raise ValueError(f"{path}: 'command' must be the command line that produced the accuracies")
    values["command"] = data["command"].strip()
    return values


def model_key(name: str) -> str:
    """A model name as a TeX-safe key: lower-case letters and digits only ("MLP (aug.)" -> "mlpaug")."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def read_study(path: Path) -> Dict[Tuple[str, int, int], Tuple[str, float]]:
    """The shift study's accuracies, from the CSV that lib/studies/shift_study.py writes.

    Columns: `model`, `accuracy` or `val_accuracy`, and `dy`, `dx` (pixels down and right; negative: up and
    left) or, without them, `shift` (pixels right and down). Other columns (e.g. `direction`) are ignored.

    Returns:
        {(model key, dy, dx): (model name as written in the CSV, accuracy)}.

    Raises:
        ValueError: naming the file and the row, if a column is missing or a value is malformed.
    """
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = {name.strip().lower(): name for name in (reader.fieldnames or [])}
        accuracy_column = columns.get("accuracy", columns.get("val_accuracy"))
        has_offsets = {"dy", "dx"} <= set(columns)
        if "model" not in columns or accuracy_column is None or not (has_offsets or "shift" in columns):
            raise ValueError(f"{path}: expected columns model, accuracy (or val_accuracy) and dy, dx (or shift), "
                             f"got {reader.fieldnames}")
        study = {}
        for row_number, row in enumerate(reader, start=2):
            try:
                if has_offsets:
                    dy, dx = int(row[columns["dy"]]), int(row[columns["dx"]])
                else:
                    dy = dx = int(row[columns["shift"]])
                accuracy = float(row[accuracy_column])
            except (TypeError, ValueError):
                raise ValueError(f"{path}, row {row_number}: malformed shift or accuracy: {row}") from None
            if not 0.0 <= accuracy <= 1.0:
                raise ValueError(f"{path}, row {row_number}: accuracy must be in [0, 1], got {accuracy}")
            name = row[columns["model"]].strip()
            study[(model_key(name), dy, dx)] = (name, accuracy)
    return study


Shift = Tuple[int, int]
LayerErrors = Dict[Shift, float]  # (dy, dx) -> relative error of one layer


def read_equivariance(path: Path) -> Dict[str, Dict[int, Tuple[str, LayerErrors]]]:
    """The lab's per-layer errors, from the CSV that lib/studies/equivariance_lab.py writes.

    Returns:
        {model key: {layer index: (layer class name, {(dy, dx): relative error})}}; nan where nothing was
        compared, inf where only the shifted map is non-zero.

    Raises:
        ValueError: naming the file and the row, if a column is missing or a value is malformed or negative.
    """
    errors: Dict[str, Dict[int, Tuple[str, LayerErrors]]] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("model", "layer_index", "layer", "dy", "dx", "relative_error")
                   if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: expected columns model, layer_index, layer, dy, dx, relative_error, "
                             f"got {reader.fieldnames}")
        for row_number, row in enumerate(reader, start=2):
            try:
                index, dy, dx = int(row["layer_index"]), int(row["dy"]), int(row["dx"])
                error = float(row["relative_error"])
            except (TypeError, ValueError):
                raise ValueError(f"{path}, row {row_number}: malformed layer index, shift or error: {row}") from None
            if error < 0:
                raise ValueError(f"{path}, row {row_number}: relative_error must be >= 0, got {error}")
            layer = errors.setdefault(model_key(row["model"].strip()), {}).setdefault(index, (row["layer"].strip(), {}))
            layer[1][(dy, dx)] = error
    return errors


def read_consistency(path: Path) -> Dict[str, Tuple[str, float, float]]:
    """The lab's consistency and clean accuracy per model, from the CSV that lib/studies/equivariance_lab.py writes.

    Returns:
        {model key: (model name as written in the CSV, consistency, clean accuracy)}, in the CSV's order.

    Raises:
        ValueError: naming the file and the row, if a column is missing or a value is not in [0, 1].
    """
    rows = {}
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not {"model", "consistency", "clean_accuracy"} <= set(reader.fieldnames or []):
            raise ValueError(f"{path}: expected columns model, consistency, clean_accuracy, got {reader.fieldnames}")
        for row_number, row in enumerate(reader, start=2):
            try:
                values = float(row["consistency"]), float(row["clean_accuracy"])
            except (TypeError, ValueError):
                raise ValueError(f"{path}, row {row_number}: malformed consistency or accuracy: {row}") from None
            if not all(0.0 <= value <= 1.0 for value in values):
                raise ValueError(f"{path}, row {row_number}: consistency and clean_accuracy must be in [0, 1], "
                                 f"got {values}")
            name = row["model"].strip()
            rows[model_key(name)] = (name, *values)
    return rows


def on_grid(shift: Shift, stride: Optional[Shift]) -> bool:
    """Whether a layer of this cumulative stride can follow the shift: both components are multiples of it.

    A layer without a spatial map (stride None) can follow only the zero shift.
    """
    if stride is None:
        return shift == (0, 0)
    return shift[0] % stride[0] == 0 and shift[1] % stride[1] == 0


def exact_verdict(exact: Set[Shift], expected: Set[Shift], what: str) -> str:
    """Which shifts a layer follows exactly, against those it could follow: "for all 25 shifts by ... and for no other
    shift", "for only 3 of the 9 ...", "... and for 2 other shifts", or for a single expected shift "for the zero shift
    and for no other shift"."""
    hits, others = len(exact & expected), len(exact - expected)
    if len(expected) == 1:
        head = f"for the {what}" if hits else f"not even for the {what}"
    elif hits == len(expected):
        head = f"for all {len(expected)} {what}"
    else:
        head = f"for only {hits} of the {len(expected)} {what}"
    return head + (" and for no other shift" if not others else f" and for {others} other shift{'s' * (others > 1)}")


def finite_extreme(values: Iterable[float], pick) -> str:
    """`pick` (min or max) of the values that are not nan, as LaTeX; "n/a" if every value is nan."""
    known = [v for v in values if not math.isnan(v)]
    return error_number(pick(known)) if known else NOT_AVAILABLE


def equivariance_macros(errors: Dict[str, Dict[int, Tuple[str, LayerErrors]]]) -> Dict[str, str]:
    r"""The course CNN's errors that the answers cite, for its first and second convolution and its logits.

    For each of ConvA, ConvB, Logits: `\eq<layer>GridMax` (largest error over the shifts the layer can follow:
    multiples of its cumulative stride along both axes, the zero shift for the logits), `\eq<layer>OffMin`
    (smallest error over every other shift), `\eq<layer>Exact` (shifts with an error below `lib.plotting.lab.EXACT`,
    as the heatmap's titles count them), `\eq<layer>GridCount` and `\eq<layer>Verdict` (`exact_verdict`).
    Without the course CNN in the CSV, every value is `\tbd`.

    Raises:
        ValueError: if the CSV's "CNN" does not have the course CNN's layers.
    """
    model, geometries = course_cnn()
    convolutions = [i for i, module in enumerate(model.modules) if isinstance(module, Conv2d)]
    layers = (("ConvA", convolutions[0]), ("ConvB", convolutions[1]), ("Logits", len(model.modules) - 1))
    measured = errors.get(COURSE_CNN)
    macros = {}
    for tag, index in layers:
        stride = geometries[index].stride if geometries[index] is not None else None
        if measured is None:
            macros.update({f"eq{tag}{field}": TBD for field in ("GridMax", "OffMin", "Exact", "GridCount", "Verdict")})
            continue
        expected_name = type(model.modules[index]).__name__
        if measured.get(index, ("",))[0] != expected_name:
            raise ValueError(f"equivariance.csv: layer {index} of the model 'CNN' should be the course CNN's "
                             f"{expected_name}, got {measured.get(index, ('nothing',))[0]!r}")
        by_shift = measured[index][1]
        grid = {shift for shift in by_shift if on_grid(shift, stride)}
        exact = {shift for shift, error in by_shift.items() if error < EXACT}
        what = "zero shift" if stride is None else (
            f"shifts by multiples of {stride[0]} pixels along both axes" if stride[0] == stride[1]
            else f"shifts by multiples of {stride[0]} rows and {stride[1]} columns")
        macros.update({f"eq{tag}GridMax": finite_extreme((by_shift[s] for s in grid), max),
                       f"eq{tag}OffMin": finite_extreme((e for s, e in by_shift.items() if s not in grid), min),
                       f"eq{tag}Exact": str(len(exact)), f"eq{tag}GridCount": str(len(grid)),
                       f"eq{tag}Verdict": exact_verdict(exact, grid, what)})
    return macros


def logit_error_lines(errors: Dict[str, Dict[int, Tuple[str, LayerErrors]]]) -> List[str]:
    r"""`\eqentry{model}{error}` per model: the median relative error of its last layer (the scores) over the
    non-zero shifts, nan-free; how far the model's output is from invariant, in one number."""
    lines = []
    for model, layers in errors.items():
        last = layers[max(layers)][1]
        values = [e for s, e in last.items() if s != (0, 0) and not math.isnan(e)]
        if values:
            lines.append(f"\\eqentry{{{model}}}{{{error_number(float(np.median(values)))}}}")
    return lines


def consistency_table(rows: Dict[str, Tuple[str, float, float]]) -> str:
    """A tabular: one row per model (in the CSV's order) with its clean accuracy and consistency in percent."""
    if not rows:
        return TBD
    lines = [r"\begin{tabular}{lrr}", r"\toprule", r"model & clean & consistency \\ \midrule"]
    lines += [f"{tex_escape(name)} & {percent(clean)} & {percent(value)} \\\\" for name, value, clean in rows.values()]
    return "\n".join(lines + [r"\bottomrule", r"\end{tabular}"])


def change_phrase(new: str, old: str, quantity: str) -> str:
    r"""How `quantity` moves from `old` to `new` (percent strings): "raises ... from 53.00\,\% to 85.57\,\%",
    "lowers ...", or "leaves ... at ..."; the verb follows the numbers as printed."""
    if float(new) == float(old):
        return f"leaves {quantity} at {old}\\,\\%"
    verb = "raises" if float(new) > float(old) else "lowers"
    return f"{verb} {quantity} from {old}\\,\\% to {new}\\,\\%"


def clean_phrase(new: str, old: str) -> str:
    r"""The cost of a fix in clean accuracy (percent strings): "costs 0.31 points of clean accuracy (96.37\,\% $\to$
    96.06\,\%)", "gains ...", or "keeps its clean accuracy (96.37\,\%)"."""
    points = round(float(new) - float(old), 2)
    if points == 0:
        return f"keeps its clean accuracy ({new}\\,\\%)"
    verb = "costs" if points < 0 else "gains"
    return f"{verb} {abs(points):.2f} points of clean accuracy ({old}\\,\\% $\\to$ {new}\\,\\%)"


def compare_lines(kind: str, values: Dict[str, str], phrase) -> List[str]:
    r"""`\compareentry{kind}{model}{baseline}{phrase}` for every pair of `COMPARISONS` whose two values are known."""
    return [f"\\compareentry{{{kind}}}{{{model}}}{{{baseline}}}{{{phrase(values[model], values[baseline])}}}"
            for model, baseline in COMPARISONS if model in values and baseline in values]


def lab_macros(measured: Path = MEASURED_DIR, accuracies_command: str = "") -> Tuple[Dict[str, str], List[str]]:
    """Macros of the equivariance lab (set-up, the course CNN's errors, the consistency table, figures, command)
    and its lookup entries (`\\consistencyentry`, `\\eqentry`, `\\compareentry{consistency}`)."""
    macros = lab_design_macros()
    equivariance_path = measured / EQUIVARIANCE_CSV
    errors = read_equivariance(equivariance_path) if equivariance_path.is_file() else {}
    macros.update(equivariance_macros(errors))
    consistency_path = measured / CONSISTENCY_CSV
    rows = read_consistency(consistency_path) if consistency_path.is_file() else {}
    macros["consistencyTable"] = consistency_table(rows)
    command_path = measured / LAB_COMMAND_FILE
    command = command_path.read_text(encoding="utf-8").strip() if command_path.is_file() else ""
    if not command and (errors or rows) and "--equivariance" in accuracies_command.split():
        command = accuracies_command  # run_shifted_conv_experiment.py --equivariance wrote them in the same run
    macros["labCommand"] = f"\\texttt{{{tex_escape(command)}}}" if command else TBD
    for name, file in (("eqFigure", EQUIVARIANCE_FIGURE), ("featureMapsFigure", FEATURE_MAPS_FIGURE)):
        macros[name] = f"measured/{file}" if (measured / file).is_file() else ""
    lines = [f"\\consistencyentry{{{model}}}{{{percent(value)}}}{{{percent(clean)}}}"
             for model, (_, value, clean) in rows.items()]
    lines += logit_error_lines(errors)
    lines += compare_lines("consistency", {model: percent(value) for model, (_, value, _) in rows.items()},
                           lambda new, old: change_phrase(new, old, "the consistency"))
    return macros, lines


def experiment_macros(measured: Path = MEASURED_DIR) -> Tuple[Dict[str, str], List[str]]:
    """Macros of the measured experiments and the study, and the lines defining the lookups `\\studyacc`,
    `\\cleancost` and `\\shiftgain` (clean accuracy and accuracy at the sheet's shift, from the study).

    Returns:
        (macros, extra_lines); missing sources give `\\tbd` values and an empty study.
    """
    macros = study_design_macros()
    accuracies_path = measured / ACCURACIES_FILE
    accuracies = read_accuracies(accuracies_path) if accuracies_path.is_file() else None
    macros.update(setup_macros(accuracies["command"] if accuracies else ""))
    for key in ACCURACY_KEYS:
        macros[macro_name(key, prefix="acc")] = percent(accuracies[key]) if accuracies else TBD
    for model in ("mlp", "cnn"):
        macros[macro_name(model, prefix="drop")] = (
            f"{100.0 * (accuracies[model + '_val'] - accuracies[model + '_val_shifted']):.2f}" if accuracies else TBD)
    if accuracies:
        drops = [accuracies[model + "_val"] - accuracies[model + "_val_shifted"] for model in ("cnn", "mlp")]
        comparison = "smaller than" if drops[0] < drops[1] else "larger than" if drops[0] > drops[1] else "equal to"
    macros["dropComparison"] = comparison if accuracies else TBD
    macros["accCommand"] = f"\\texttt{{{tex_escape(accuracies['command'])}}}" if accuracies else TBD

    study_path = measured / STUDY_CSV
    study = read_study(study_path) if study_path.is_file() else {}
    command_path = measured / STUDY_COMMAND_FILE
    command = command_path.read_text(encoding="utf-8").strip() if command_path.is_file() else ""
    if not command and study and accuracies and "--study" in accuracies["command"].split():
        command = accuracies["command"]  # run_shifted_conv_experiment.py --study wrote both files in one run
    macros["studyCommand"] = f"\\texttt{{{tex_escape(command)}}}" if command else TBD
    figure = measured / STUDY_FIGURE
    macros["studyFigure"] = f"measured/{STUDY_FIGURE}" if figure.is_file() else ""
    lines = [f"\\studyentry{{{model}}}{{{dy}}}{{{dx}}}{{{percent(accuracy)}}}"
             for (model, dy, dx), (_, accuracy) in sorted(study.items())]
    macros["studyTable"] = study_table(study)
    macros["studyDirectionsTable"] = directions_table(study)
    clean = {model: percent(accuracy) for (model, dy, dx), (_, accuracy) in study.items() if (dy, dx) == (0, 0)}
    shifted = {model: percent(accuracy) for (model, dy, dx), (_, accuracy) in study.items() if dy == dx == SHIFT}
    lines += compare_lines("clean", clean, clean_phrase)
    lines += compare_lines("shift", shifted, lambda new, old: change_phrase(new, old, "the accuracy"))
    lines += direction_lines(study)
    return macros, lines


def direction_lines(study: Dict[Tuple[str, int, int], Tuple[str, float]]) -> List[str]:
    r"""Per model, `\compareentry{axis}{model}{model}{...}` (vertical against horizontal shift) and
    `\compareentry{diagonal}{model}{model}{...}` (both axes against the worse single axis), for the sheet's shift.

    The phrases follow the accuracies as printed: "loses more for a vertical shift than for a horizontal one (67.82
    against 71.17\,\%)", "loses more for the shift along both axes than for either axis alone (42.13 against at
    least 67.82\,\%)", ...
    """
    lines = []
    for model in dict.fromkeys(key for key, _, _ in study):
        right, down, both = (study.get((model, dy, dx)) for dy, dx in ((0, SHIFT), (SHIFT, 0), (SHIFT, SHIFT)))
        if right is None or down is None:
            continue
        horizontal, vertical = percent(right[1]), percent(down[1])
        if float(vertical) == float(horizontal):
            axis = f"loses as much for a vertical as for a horizontal shift ({vertical}\\,\\%)"
        else:
            which = "more" if float(vertical) < float(horizontal) else "less"
            axis = (f"loses {which} for a vertical shift than for a horizontal one ({vertical} against "
                    f"{horizontal}\\,\\%)")
        lines.append(f"\\compareentry{{axis}}{{{model}}}{{{model}}}{{{axis}}}")
        if both is None:
            continue
        diagonal, worse = percent(both[1]), min(horizontal, vertical, key=float)
        if float(diagonal) < float(worse):
            phrase = (f"loses more for the shift along both axes than for either axis alone ({diagonal} against "
                      f"at least {worse}\\,\\%)")
        else:
            phrase = (f"loses no more for the shift along both axes than for the worse single axis ({diagonal} "
                      f"against {worse}\\,\\%)")
        lines.append(f"\\compareentry{{diagonal}}{{{model}}}{{{model}}}{{{phrase}}}")
    return lines


def direction_arrow(dy: int, dx: int) -> str:
    """The LaTeX arrow pointing where a shift moves the image (dy > 0: down, dx > 0: right), e.g. (2, 2) -> searrow."""
    arrows = {(0, 1): "rightarrow", (0, -1): "leftarrow", (1, 0): "downarrow", (-1, 0): "uparrow",
              (1, 1): "searrow", (-1, -1): "nwarrow", (1, -1): "swarrow", (-1, 1): "nearrow", (0, 0): "circ"}
    return "\\" + arrows[(int(np.sign(dy)), int(np.sign(dx)))]


def directions_table(study: Dict[Tuple[str, int, int], Tuple[str, float]]) -> str:
    """A tabular: one row per model (in the CSV's order), one column per direction of
    `lib.studies.shift_study.DIRECTIONS`,
    headed by an arrow pointing where the digit moves."""
    directions = [(name, dy, dx) for name, dy, dx in shift_study.DIRECTIONS]
    names = {}
    for (model, dy, dx), (name, _) in study.items():
        if any((dy, dx) == (d_dy, d_dx) for _, d_dy, d_dx in directions):
            names.setdefault(model, name)
    if not names:
        return TBD
    header = "model & " + " & ".join(f"${direction_arrow(dy, dx)}$" for _, dy, dx in directions) + r" \\ \midrule"
    rows = [tex_escape(name) + " & " + " & ".join(percent(study[(model, dy, dx)][1]) if (model, dy, dx) in study
                                                  else "--" for _, dy, dx in directions) + r" \\"
            for model, name in names.items()]
    return "\n".join([f"\\begin{{tabular}}{{l{'r' * len(directions)}}}", r"\toprule", header] + rows
                     + [r"\bottomrule", r"\end{tabular}"])


def study_table(study: Dict[Tuple[str, int, int], Tuple[str, float]]) -> str:
    """A tabular: one row per model (in the CSV's order), one column per shift s >= 0 right and down (dy = dx = s)."""
    diagonal = {key: value for key, value in study.items() if key[1] == key[2] >= 0}
    if not diagonal:
        return TBD
    names = {}
    for (model, _, _), (name, _) in diagonal.items():
        names.setdefault(model, name)
    shifts = sorted({dy for _, dy, _ in diagonal})
    header = "model & " + " & ".join(str(s) for s in shifts) + r" \\ \midrule"
    rows = [tex_escape(name) + " & " + " & ".join(percent(diagonal[(model, s, s)][1]) if (model, s, s) in diagonal
                                                  else "--" for s in shifts) + r" \\"
            for model, name in names.items()]
    return "\n".join([f"\\begin{{tabular}}{{l{'r' * len(shifts)}}}", r"\toprule", header] + rows
                     + [r"\bottomrule", r"\end{tabular}"])


def render(macros: Dict[str, str], entry_lines: Sequence[str]) -> str:
    """The text of numbers.tex."""
    lines = ["% Generated by submission/make_numbers.py from lib/ and submission/measured/: do not edit by hand.",
             "% Rebuild: bash submission/build.sh (or python submission/make_numbers.py)."]
    lines += [f"\\newcommand*{{\\{name}}}{{{value}}}" for name, value in macros.items()]
    lines += entry_lines
    return "\n".join(lines) + "\n"


def copy_from_results(results: Path = RESULTS_DIR, measured: Path = MEASURED_DIR) -> List[str]:
    """Copy the experiments' output files that exist in `results` into `measured`; return their names."""
    measured.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in MEASURED_FILES:
        if (results / name).is_file():
            with open(str(results / name), "rb") as source:
                atomic_write(measured / name, lambda target: shutil.copyfileobj(source, target))
            copied.append(name)
    return copied


def all_macros(measured: Path = MEASURED_DIR) -> Tuple[Dict[str, str], List[str]]:
    """Every macro of numbers.tex (pen and paper, output sizes, experiments, the lab) and the lookup entries."""
    macros = pen_and_paper_macros()
    macros.update(conv_macros())
    experiment, lines = experiment_macros(measured)
    macros.update(experiment)
    accuracies_path = measured / ACCURACIES_FILE
    command = read_accuracies(accuracies_path)["command"] if accuracies_path.is_file() else ""
    lab, lab_lines = lab_macros(measured, command)
    macros.update(lab)
    return macros, lines + lab_lines


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Write numbers.tex; returns the exit status."""
    parser = argparse.ArgumentParser(description="Generate submission/numbers.tex from the library and the "
                                                 "measured results.")
    parser.add_argument("--from-results", action="store_true",
                        help="first copy the experiments' files from results/ to submission/measured/")
    args = parser.parse_args(argv)
    if args.from_results:
        copied = copy_from_results()
        print(f"Copied from results/: {', '.join(copied) if copied else 'nothing (no files there)'}")
    macros, entry_lines = all_macros()
    atomic_write_text(NUMBERS_TEX, render(macros, entry_lines))
    placeholders = sorted(name for name, value in macros.items() if TBD in value)
    print(f"Wrote {NUMBERS_TEX.relative_to(REPO_ROOT)}: {len(macros)} macros, {len(entry_lines)} lookup entries")
    if placeholders:
        print(f"Placeholders (TBD) remain for: {', '.join(placeholders)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
