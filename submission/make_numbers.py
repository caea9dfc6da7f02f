"""Write submission/numbers.tex: every number that submission.tex states, and check every claim it makes.

The prose lives in submission.tex. This module computes its numbers as LaTeX macros, from `lib` (`\\pp...`,
`\\conv...`, `\\setup...`, `\\study...`, `\\eq...`) and from the measurements in submission/measured/, each read by
the reader beside its writer in `lib` (`\\acc...`, `\\drop...`, `\\study<Model><Shift>`, `\\points<Model>`, ...,
<Model> in CamelCase: "MLP + aug" -> `\\studyMlpAugShifted`); written-out computations (`\\ppYHatASum`, ending in
`Sum`, `Step` or `Squares`) sit beside their values (`\\ppYHatA`). Then `claims` checks, in the text's order, what
the text says about them: a claim that no longer holds stops the build, naming it.

Usage, from the repository root (build.sh's call): python -m submission.make_numbers [--from-results]
"""
from __future__ import annotations

import argparse
import math
import re
import shlex
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from lib.cli.options import experiment_argument_parser
from lib.convolutions import Conv2d, calculate_conv_output
from lib.cross_correlation_1d import format_number, product_terms, solve_pen_and_paper
from lib.dataset_mnist import IMAGE_SIDE, NUM_CLASSES, NUM_TRAIN, TRAIN_IMAGES
from lib.equivariance.measure import EXACT, SWEEP_SHIFTS as EQ_SHIFTS, receptive_fields
from lib.experiments import SHIFT, create_conv_model, read_accuracies
from lib.model_training import NUM_EPOCHS
from lib.models import LINEAR_UNITS
from lib.studies import equivariance_lab as lab, shift_study as study
from lib.utilities import RESULTS_DIR, atomic_write_text

SUBMISSION_DIR = Path(__file__).resolve().parent
MEASURED_DIR = SUBMISSION_DIR / "measured"
NUMBERS_TEX = SUBMISSION_DIR / "numbers.tex"
ACCURACIES_JSON = "shifted_accuracies.json"  # run_shifted_conv_experiment.py --json results/shifted_accuracies.json
MEASURED_FILES = (ACCURACIES_JSON, study.CSV_FILE, study.PLOT_FILE, lab.EQUIVARIANCE_CSV, lab.CONSISTENCY_CSV,
                  lab.EQUIVARIANCE_PNG, lab.FIGURES[0])  # FIGURES[0]: the feature maps
SHEET_EXAMPLE = (7, 3, 1, 2)  # show_conv_output_dims.py's output-size example: input size, kernel, stride, padding
# The study's shifts (dy, dx) that the text cites, by the suffix of their macros.
STUDY_SHIFTS = {"Clean": (0, 0), "Shifted": (SHIFT, SHIFT), "MaxShift": (max(study.SWEEP_SHIFTS),) * 2,
                "Right": (0, SHIFT), "Down": (SHIFT, 0)}
# Each fix of the study and the model it changes: the text gives its cost in clean accuracy against this one.
BASELINES = {"GAP CNN": "CNN", "MLP + aug": "MLP", "MaxPool CNN": "CNN", "BlurPool CNN": "CNN",
             "MaxBlurPool CNN": "CNN", "MLP centred": "MLP", "CNN + aug": "CNN"}
Numbers = Dict[str, object]  # macro name -> value: str (TeX as is), int, float (a percentage), RelativeError


class RelativeError(float):
    """A relative error of the lab, shown with two significant digits (`error_tex`)."""


class ClaimError(SystemExit):
    """A claim of submission.tex no longer holds (or a measured file is missing): the build stops, naming it."""


def error_tex(value: float) -> str:
    r"""A relative error as LaTeX, two significant digits: "0", "0.36", "1.2 \cdot 10^{-15}", "\infty", "\text{n/a}"."""
    if math.isnan(value) or math.isinf(value) or value == 0:
        return r"\text{n/a}" if math.isnan(value) else r"\infty" if math.isinf(value) else "0"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{value:.2g}" if -2 <= int(exponent) <= 1 else f"{mantissa} \\cdot 10^{{{int(exponent)}}}"


def tex(value: object) -> str:
    """A macro's value as LaTeX: percentages with two decimals, relative errors with two significant digits."""
    if isinstance(value, RelativeError):
        return error_tex(value)
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def percent(accuracy: float) -> float:
    """An accuracy in [0, 1] as the percentage the text shows (two decimals: exact for 10,000 images)."""
    return round(100.0 * accuracy, 2)


def camel(name: str) -> str:
    """A model name as a macro part: "MLP + aug" -> "MlpAug", "MaxBlurPool CNN" -> "MaxBlurPoolCnn"."""
    return "".join(w.capitalize() if w.isupper() else w[0].upper() + w[1:] for w in re.findall(r"[A-Za-z]+", name))


def number(value: float) -> str:
    """A number of the worked example; negative ones in parentheses so that `a - (-b)` reads right."""
    text = format_number(value)
    return f"({text})" if text.startswith("-") else text


def tex_escape(text: str) -> str:
    """A command line for \\texttt: LaTeX's special characters escaped, "--" kept from becoming a dash."""
    special = {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "-": "-{}"}
    return "".join(special.get(c, "\\" + c if c in "_%&#${}" else c) for c in text)


def rows_tex(rows: Dict[str, Sequence[object]]) -> str:
    """Table rows: the model's name, then its values, one row per model (the tabular is in submission.tex)."""
    return "\n".join(f"{name} & " + " & ".join(tex(v) for v in values) + r" \\" for name, values in rows.items())


# ---------------------------------------------------------------------------------- from the library
def pen_and_paper() -> Numbers:
    """Every value of the worked example (`\\ppX`, `\\ppXA`, ...) and the computations that give them."""
    s = solve_pen_and_paper()
    n: Numbers = {}
    for field, value in s._asdict().items():
        name = "pp" + "".join(part.capitalize() for part in field.split("_"))
        values = np.atleast_1d(value)
        n[name] = number(value) if np.ndim(value) == 0 else "(" + ", ".join(number(v) for v in values) + ")"
        n.update({f"{name}{chr(ord('A') + i)}": number(v) for i, v in enumerate(values) if np.ndim(value)})
    n.update(ppLenX=s.x.size, ppLenW=s.w.size, ppLenYHat=s.y_hat.size, ppLenYHatSum=f"{s.x.size} - {s.w.size} + 1")

    def products(pairs):
        return " + ".join(f"{number(a)} \\cdot {number(b)}" for a, b in pairs)

    terms = product_terms(s)
    for i in range(s.y_hat.size):
        n[f"ppYHat{'AB'[i]}Sum"] = f"{products(terms['y_hat'][i])} + {number(s.b)}"
        n[f"ppYHatNew{'AB'[i]}Sum"] = f"{products(terms['y_hat_new'][i])} + {number(s.b_new)}"
        n[f"ppGradYHat{'AB'[i]}Sum"] = f"{number(s.y_hat[i])} - {number(s.y[i])}"
    for k in range(s.w.size):
        n[f"ppGradW{'ABC'[k]}Sum"] = products(terms["grad_w"][k])
        n[f"ppWNew{'ABC'[k]}Step"] = f"{number(s.w[k])} - {number(s.lr)} \\cdot {number(s.grad_w[k])}"
    n["ppGradBSum"] = " + ".join(number(g) for g in s.grad_y_hat)
    n["ppBNewStep"] = f"{number(s.b)} - {number(s.lr)} \\cdot {number(s.grad_b)}"
    for name, y_hat in (("ppLoss", s.y_hat), ("ppLossNew", s.y_hat_new)):
        residuals = " + ".join(f"({number(t)} - {number(p)})^2" for t, p in zip(s.y, y_hat))
        n[name + "Sum"] = f"\\tfrac{{1}}{{2}}\\left[{residuals}\\right]"
        squares = " + ".join(number((t - p) ** 2) for t, p in zip(s.y, y_hat))
        n[name + "Squares"] = f"\\tfrac{{1}}{{2}}\\left({squares}\\right)"
    return n


@lru_cache(maxsize=None)
def course_cnn() -> Tuple[List[object], List[int], List[object]]:
    """The course CNN's layers, the indices of its two convolutions and every layer's geometry
    (`receptive_fields`: its cells' stride, or None after the flattening)."""
    state = np.random.get_state()  # the builder draws weights from the global stream: leave the caller's alone
    model = create_conv_model()
    np.random.set_state(state)
    return model.modules, [i for i, m in enumerate(model.modules) if isinstance(m, Conv2d)], receptive_fields(model)


def setup(command: str) -> Numbers:
    """Output sizes and the set-up of the experiments, the study and the lab; the number of images is the
    measured `command`'s --max_datapoints (the scripts' default without one)."""
    n: Numbers = {}

    def output_size(name: str, size: int, kernel: int, stride: int, pad: int) -> int:
        n.update({f"conv{name}{key}": value for key, value in zip("IKSP", (size, kernel, stride, pad))})
        n[f"conv{name}OutSum"] = (rf"\left\lfloor \frac{{{size} + 2 \cdot {pad} - {kernel}}}{{{stride}}}"
                                  r" \right\rfloor + 1")
        n[f"conv{name}Out"] = calculate_conv_output([size], [kernel], [stride], [pad])[0]
        return n[f"conv{name}Out"]

    output_size("Sheet", *SHEET_EXAMPLE)
    layers, convolutions, geometry = course_cnn()
    first, second = (layers[i] for i in convolutions)
    side = IMAGE_SIDE
    for name, conv in (("LayerA", first), ("LayerB", second)):  # each convolution reads the maps before it
        side = output_size(name, side, conv.kernel_size[0], conv.stride[0], conv.pad[0])
    n.update(convFlatSum=f"{second.out_channels} \\cdot {side} \\cdot {side}", convFlat=second.out_channels * side ** 2)
    images = experiment_argument_parser("", "").parse_known_args(shlex.split(command)[2:])[0].max_datapoints
    n.update(setupEpochs=NUM_EPOCHS, setupTrainImages=f"{images:,}".replace(",", r"\,"), setupShift=SHIFT,
             setupValImages=f"{min(images, TRAIN_IMAGES.count - NUM_TRAIN):,}".replace(",", r"\,"),
             setupClasses=NUM_CLASSES, setupPixels=IMAGE_SIDE ** 2, setupHidden=LINEAR_UNITS,
             setupInChannels=first.in_channels, setupFiltersA=first.out_channels, setupFiltersB=second.out_channels)
    n.update(studyMaxShift=max(study.SWEEP_SHIFTS), studyAugCopies=study.AUGMENT_COPIES,
             studyAugMaxShift=study.MAX_AUGMENT_SHIFT, studyGapChannels=", ".join(map(str, study.GAP_CHANNELS)),
             studyShiftHeader=" & ".join(map(str, study.SWEEP_SHIFTS)))
    strides = [geometry[i].stride for i in convolutions]  # the cells of the convolutions, (rows, columns) apart
    n.update(eqMaxShift=max(EQ_SHIFTS), eqShifts=len(EQ_SHIFTS) ** 2, eqImages=lab.SWEEP_IMAGES,
             eqExactThreshold=f"10^{{{round(math.log10(EXACT))}}}", eqStrideA=strides[0][0],
             eqStrideB=strides[1][0], consistencyMaxShift=lab.CONSISTENCY_MAX_SHIFT,
             consistencyPairs=lab.CONSISTENCY_PAIRS)
    return n


# ---------------------------------------------------------------------------------- from the measurements
def measured(data: Dict[str, list]) -> Numbers:
    """The measurements' macros, from `data` as `read_measured` gives it."""
    accuracies, study_rows, errors, consistency = (data[k] for k in ("accuracies", "study", "errors", "consistency"))
    n: Numbers = {"accCommand": rf"\texttt{{{tex_escape(accuracies['command'])}}}"}
    for model in ("Mlp", "Cnn"):
        val, shifted = accuracies[model.lower() + "_val"], accuracies[model.lower() + "_val_shifted"]
        n.update({f"acc{model}Val": percent(val), f"acc{model}ValShifted": percent(shifted),
                  f"drop{model}": round(100 * (val - shifted), 2)})
    acc = {(r["model"], r["dy"], r["dx"]): percent(r["val_accuracy"]) for r in study_rows}
    models = list(dict.fromkeys(r["model"] for r in study_rows))
    for model in models:
        n.update({f"study{camel(model)}{suffix}": acc[(model, *shift)] for suffix, shift in STUDY_SHIFTS.items()})
    for model, baseline in BASELINES.items():
        n[f"points{camel(model)}"] = round(abs(acc[(model, 0, 0)] - acc[(baseline, 0, 0)]), 2)
    n["studyRows"] = rows_tex({m: [acc[(m, s, s)] for s in study.SWEEP_SHIFTS] for m in models})
    n["directionRows"] = rows_tex({m: [acc[(m, dy, dx)] for _, dy, dx in study.DIRECTIONS] for m in models})
    n["consistencyRows"] = rows_tex({r["model"]: [percent(r["clean_accuracy"]), percent(r["consistency"])]
                                     for r in consistency})
    n.update({f"consistency{camel(r['model'])}": percent(r["consistency"]) for r in consistency})
    for model in dict.fromkeys(r["model"] for r in errors):  # median change of the scores over the non-zero shifts
        last = max(r["layer_index"] for r in errors if r["model"] == model)
        n[f"logitError{camel(model)}"] = RelativeError(np.median([
            r["relative_error"] for r in errors if r["model"] == model and r["layer_index"] == last
            and (r["dy"], r["dx"]) != (0, 0) and not math.isnan(r["relative_error"])]))
    layers, (conv_a, conv_b), geometry = course_cnn()
    for tag, index in (("ConvA", conv_a), ("ConvB", conv_b), ("Logits", len(layers) - 1)):
        # The course CNN's errors at the shifts its maps can follow (multiples of its cells' stride along both
        # axes; only the zero shift where there is no map) and at all the other shifts.
        cells = None if geometry[index] is None else geometry[index].stride
        mine = {(r["dy"], r["dx"]): r["relative_error"] for r in errors
                if r["model"] == "CNN" and r["layer_index"] == index}
        grid = {s: e for s, e in mine.items() if s == (0, 0) or cells and s[0] % cells[0] == 0 == s[1] % cells[1]}
        off_grid = [e for s, e in mine.items() if s not in grid]
        n.update({f"eq{tag}GridCount": len(grid), f"eq{tag}GridMax": RelativeError(np.max(list(grid.values()))),
                  f"eq{tag}OffMin": RelativeError(np.nanmin(off_grid))})  # nan on the grid: not exact
    return n


def claims(n: Numbers, data: Dict[str, list]) -> List[Tuple[str, bool]]:
    """Every claim of submission.tex about its numbers, in the text's order: (what it says, whether it holds)."""
    layers, convolutions, geometry = course_cnn()
    first, second = (layers[i] for i in convolutions)
    lab_cnn = {r["layer_index"]: r["layer"] for r in data["errors"] if r["model"] == "CNN"}
    lab_clean = {r["model"]: percent(r["clean_accuracy"]) for r in data["consistency"]}

    def changes(model: str, baseline: str, clean: str, consistency: bool = True) -> List[Tuple[str, bool]]:
        # "<model> raises the accuracy at the sheet's shift, <clean> clean accuracy, raises the consistency"
        a, b = camel(model), camel(baseline)
        said = [(f"{model} raises the accuracy at the sheet's shift over the {baseline}",
                 n[f"study{a}Shifted"] > n[f"study{b}Shifted"]),
                (f"{model} {clean} clean accuracy against the {baseline}", n[f"study{a}Clean"] < n[f"study{b}Clean"]
                 if clean == "costs" else n[f"study{a}Clean"] > n[f"study{b}Clean"])]
        return said + [(f"{model} raises the consistency over the {baseline}",
                        n[f"consistency{a}"] > n[f"consistency{b}"])] * consistency

    return [("one SGD step lowers the loss", float(n["ppLoss"]) > float(n["ppLossNew"])),
            ("the course CNN is Conv, ReLU, Conv (the same kernel, stride and padding), ReLU, Flatten, Linear",
             [type(layer).__name__ for layer in layers] == ["Conv2d", "ReLU", "Conv2d", "ReLU", "Flatten", "Linear"]
             and (first.kernel_size, first.stride, first.pad) == (second.kernel_size, second.stride, second.pad)),
            ("the command measured the study and the lab",
             {"--study", "--equivariance"} <= set(data["accuracies"]["command"].split())),
            ("the shift study trains nine models", len({r["model"] for r in data["study"]}) == 9),
            ("the GAP CNN has three convolutions", len(study.GAP_CHANNELS) == 3),
            ("the study shifts by the sheet's shift in four directions: right, down, right+down, up-left",
             [name for name, *_ in study.DIRECTIONS] == ["right", "down", "right+down", "up-left"]
             and all(max(abs(dy), abs(dx)) == SHIFT for _, dy, dx in study.DIRECTIONS)),
            ("the study's table has the shifts 0..6 as columns", list(study.SWEEP_SHIFTS) == list(range(7))),
            ("the study's and the lab's CNN is the course CNN of the first table",
             n["studyCnnClean"] == lab_clean["CNN"] == n["accCnnVal"]
             and lab_cnn == {i: type(layer).__name__ for i, layer in enumerate(layers)}),
            ("the CNN's drop is smaller than the MLP's", n["dropCnn"] < n["dropMlp"]),
            ("neither the CNN nor the MLP is shift-invariant", max(n["consistencyCnn"], n["consistencyMlp"]) < 100),
            ("the convolutions' cells lie as far apart along both axes",
             all(geometry[i].stride[0] == geometry[i].stride[1] for i in convolutions)),
            ("the first convolution moves exactly for every shift on its grid", n["eqConvAGridMax"] < EXACT),
            ("the first convolution moves exactly for no other shift", n["eqConvAOffMin"] >= EXACT),
            ("the sheet's shift moves the first convolution's maps by whole cells", SHIFT % n["eqStrideA"] == 0),
            *changes("MLP + aug", "MLP", "costs"),
            ("the study's largest shift lies beyond the shifts of the augmentation",
             n["studyMaxShift"] > n["studyAugMaxShift"]),
            *changes("CNN + aug", "CNN", "gains", consistency=False),
            ("the GAP CNN beats the MLP at the sheet's shift", n["studyGapCnnShifted"] > n["studyMlpShifted"]),
            *changes("MLP centred", "MLP", "costs"),
            ("the sheet's shift is half a cell of the second convolution", 2 * SHIFT == n["eqStrideB"]),
            ("the second convolution moves exactly for every shift on its grid", n["eqConvBGridMax"] < EXACT),
            ("the second convolution moves exactly for no other shift", n["eqConvBOffMin"] >= EXACT),
            *changes("BlurPool CNN", "CNN", "costs"),
            *changes("MaxPool CNN", "CNN", "gains", consistency=False),
            ("the MaxBlurPool CNN raises the consistency over the MaxPool CNN",
             n["consistencyMaxBlurPoolCnn"] > n["consistencyMaxPoolCnn"]),
            *changes("MaxBlurPool CNN", "CNN", "gains", consistency=False),
            ("the course CNN's scores are unchanged for the zero shift", n["eqLogitsGridMax"] < EXACT),
            ("the course CNN's scores change for every other shift", n["eqLogitsOffMin"] >= EXACT),
            *changes("GAP CNN", "CNN", "costs"),
            *[claim for model in ("MLP", "CNN") for claim in (
                (f"the {model} loses more for the shift along both axes than for either axis alone",
                 n[f"study{camel(model)}Shifted"] < n[f"study{camel(model)}Down"]),
                (f"the {model} loses more for a vertical shift than for a horizontal one",
                 n[f"study{camel(model)}Down"] < n[f"study{camel(model)}Right"]))],
            ("the convolutions are square: one size, stride and padding (one row and column) for both axes",
             all(len(set(c.kernel_size)) == len(set(c.stride)) == 1 and c.pad == (1, 1) for c in (first, second))),
            ("each convolution's windows cover its padded input exactly", all(
                (n[f"conv{c}I"] + 2 * n[f"conv{c}P"] - n[f"conv{c}K"]) % n[f"conv{c}S"] == 0
                for c in ("LayerA", "LayerB")))]


# ---------------------------------------------------------------------------------- the build
def read_measured(folder: Path = MEASURED_DIR) -> Dict[str, list]:
    """The measured files in `folder`, each read by the reader beside its writer in `lib`.

    Raises:
        ClaimError: naming a file that is missing (the figures included) or malformed.
    """
    missing = [name for name in MEASURED_FILES if not (folder / name).is_file()]
    if missing:
        raise ClaimError(f"missing in {folder}: {', '.join(missing)} (copy them with --from-results)")
    readers = {"accuracies": (ACCURACIES_JSON, read_accuracies), "study": (study.CSV_FILE, study.read_study_csv),
               "errors": (lab.EQUIVARIANCE_CSV, lab.read_equivariance_csv),
               "consistency": (lab.CONSISTENCY_CSV, lab.read_consistency_csv)}
    data = {}
    for key, (name, reader) in readers.items():
        try:
            data[key] = reader(folder / name)
        except (OSError, KeyError, ValueError) as error:
            raise ClaimError(f"cannot read {folder / name} ({error!r}): copy the experiments' files with "
                             "--from-results (see submission/measured/README.md)") from None
    return data


def all_numbers(folder: Path = MEASURED_DIR) -> Numbers:
    """Every macro of numbers.tex, from the library and the measured files in `folder`; checks every claim.

    Raises:
        ClaimError: naming the claims of submission.tex that do not hold, or a measured file that is missing.
    """
    data = read_measured(folder)
    n = {**pen_and_paper(), **setup(data["accuracies"]["command"]), **measured(data)}
    broken = [said for said, holds in claims(n, data) if not holds]
    if broken:
        raise ClaimError("submission.tex claims what the numbers no longer say: " + "; ".join(broken))
    return n


def render(n: Numbers) -> str:
    """The text of numbers.tex."""
    return "".join(["% Generated by `python -m submission.make_numbers` from lib/ and submission/measured/: "
                    "do not edit.\n"] + [f"\\newcommand*{{\\{name}}}{{{tex(value)}}}\n" for name, value in n.items()])


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Write numbers.tex (with --from-results, after copying the measured files from results/)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-results", action="store_true",
                        help="first copy the experiments' files from results/ to submission/measured/")
    if parser.parse_args(argv).from_results:
        for name in MEASURED_FILES:
            shutil.copyfile(str(RESULTS_DIR / name), str(MEASURED_DIR / name))
    n = all_numbers(MEASURED_DIR)
    atomic_write_text(NUMBERS_TEX, render(n))
    print(f"Wrote {NUMBERS_TEX.name}: {len(n)} macros, every claim of submission.tex checked")


if __name__ == "__main__":
    main()
