"""Write submission/numbers.tex: every number that submission.tex states, as LaTeX macros computed by code.

Sources (nothing in the PDF is typed by hand):
* the pen-and-paper task: `lib.cross_correlation_1d.solve_pen_and_paper()` (macros `\\pp...`);
* the output-size examples: `lib.convolutions.calculate_conv_output` (macros `\\conv...`);
* the measured experiments, from the committed copies under `submission/measured/` (so that the build
  does not need `results/`); `--from-results` first copies them there from `results/`:
  - `shifted_accuracies.json`: {"mlp_val", "mlp_val_shifted", "cnn_val", "cnn_val_shifted": accuracies
    in [0, 1] as `compare_on_shifted_data` returns them, "command": the command line that produced them};
  - `shift_study.csv` (lib/shift_study.py): columns `model`, `val_accuracy` (or `accuracy`) and `dy`, `dx`
    (pixels down and right; negative: up/left; without them `shift` = pixels right and down), one row per
    model and shift;
  - `shift_study_command.txt`: the command line that produced the CSV (one line); if it is missing and the
    JSON's command has `--study`, that command produced both;
  - `shift_study.png`: the study's plot.
  A missing source gives the placeholder `\\tbd` (a bold "TBD" in the PDF) instead of its numbers.

Expression macros (names ending in `Sum`, `Step`, `Squares`) write a computation out, e.g.
`\\ppYHatASum` = `2 \\cdot 1 + 1 \\cdot 2 + 3 \\cdot 3 + 1`; tests/test_submission_numbers.py evaluates
each and checks it against its value macro (`\\ppYHatA` = 14), and checks every value against the library.

Usage: python submission/make_numbers.py [--from-results]   (submission/build.sh runs it)
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

SUBMISSION_DIR = Path(__file__).resolve().parent
REPO_ROOT = SUBMISSION_DIR.parent
if str(REPO_ROOT) not in sys.path:  # run as a script: make `lib` importable from any working directory
    sys.path.insert(0, str(REPO_ROOT))

from lib.cross_correlation_1d import solve_pen_and_paper  # noqa: E402
from solve_pen_and_paper import format_number, product_terms  # noqa: E402
from lib import shift_study  # noqa: E402
from lib.convolutions import calculate_conv_output  # noqa: E402
from lib.utilities import atomic_write, atomic_write_text  # noqa: E402

MEASURED_DIR = SUBMISSION_DIR / "measured"
NUMBERS_TEX = SUBMISSION_DIR / "numbers.tex"
RESULTS_DIR = REPO_ROOT / "results"
ACCURACIES_FILE = "shifted_accuracies.json"
STUDY_CSV = "shift_study.csv"
STUDY_COMMAND_FILE = "shift_study_command.txt"
STUDY_FIGURE = "shift_study.png"
MEASURED_FILES = (ACCURACIES_FILE, STUDY_CSV, STUDY_COMMAND_FILE, STUDY_FIGURE)
TBD = r"\tbd"
ACCURACY_KEYS = ("mlp_val", "mlp_val_shifted", "cnn_val", "cnn_val_shifted")

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
    """The shift study's set-up as lib/shift_study.py defines it."""
    return {"studyMaxShift": str(max(shift_study.SWEEP_SHIFTS)), "studyAugCopies": str(shift_study.AUGMENT_COPIES),
            "studyAugMaxShift": str(shift_study.MAX_AUGMENT_SHIFT),
            "studyGapChannels": ", ".join(str(c) for c in shift_study.GAP_CHANNELS)}


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
    """The shift study's accuracies, from the CSV that lib/shift_study.py writes.

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


def experiment_macros(measured: Path = MEASURED_DIR) -> Tuple[Dict[str, str], List[str]]:
    """Macros of the measured experiments, and the lines defining the study lookup `\\studyacc`.

    Returns:
        (macros, extra_lines); missing sources give `\\tbd` values and an empty study.
    """
    macros = study_design_macros()
    accuracies_path = measured / ACCURACIES_FILE
    accuracies = read_accuracies(accuracies_path) if accuracies_path.is_file() else None
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
    return macros, lines


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


def render(macros: Dict[str, str], study_lines: Sequence[str]) -> str:
    """The text of numbers.tex."""
    lines = ["% Generated by submission/make_numbers.py from lib/ and submission/measured/: do not edit by hand.",
             "% Rebuild: bash submission/build.sh (or python submission/make_numbers.py)."]
    lines += [f"\\newcommand*{{\\{name}}}{{{value}}}" for name, value in macros.items()]
    lines += study_lines
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


def all_macros() -> Tuple[Dict[str, str], List[str]]:
    """Every macro of numbers.tex (pen and paper, output sizes, experiments) and the study's entries."""
    macros = pen_and_paper_macros()
    macros.update(conv_macros())
    experiment, study_lines = experiment_macros()
    macros.update(experiment)
    return macros, study_lines


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
    macros, study_lines = all_macros()
    atomic_write_text(NUMBERS_TEX, render(macros, study_lines))
    placeholders = sorted(name for name, value in macros.items() if TBD in value)
    print(f"Wrote {NUMBERS_TEX.relative_to(REPO_ROOT)}: {len(macros)} macros, {len(study_lines)} study entries")
    if placeholders:
        print(f"Placeholders (TBD) remain for: {', '.join(placeholders)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
