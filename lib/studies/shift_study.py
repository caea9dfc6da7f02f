"""The shift study: how the validation accuracy of models built to cope with moved digits falls when they move.

Every model is trained on MNIST from the same fixed seed with the course's recipe (10 epochs, batch 50,
SGD with momentum 0.9) and evaluated on the validation images moved 0..6 pixels right and down, and
moved 2 pixels in four directions separately (right, down, right+down, up-left). Every model takes
(N, 1, 28, 28) images (the MLPs start with `Flatten`):

* "MLP": the course MLP; every input pixel has its own weight, so it knows nothing of neighbourhoods.
* "CNN": the course CNN; its convolutions are shift-equivariant, but the flattening head gives every
  position of the 7x7 map its own weights, and the stride-2 sampling grid and the border padding
  make shifts of odd size and shifts towards the border behave differently.
* "GAP CNN": three convolutions whose maps are averaged over all positions (`GlobalAvgPool2d`), so the
  head does not know where a feature was; only the stride-2 grid and the borders remain.
* "MLP + aug" and "CNN + aug": the course's models trained on the images plus three copies moved by
  random shifts of up to 3 pixels in each direction.
* "MaxPool CNN": stride-1 convolutions and 2x2 max pooling for the downsampling.
* "BlurPool CNN" and "MaxBlurPool CNN": the course CNN and the MaxPool CNN anti-aliased in Zhang's
  recipe (a low-pass `BlurPool2d` before every subsampling).
* "MLP centred": the course MLP on images moved so that their centre of mass is in the middle.

`run_shift_study` writes `results/shift_study.csv` and `results/shift_study.png`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from lib.convolutions import Flatten
from lib.experiments import create_conv_model
from lib.model_evaluation import accuracy_on
from lib.model_training import BATCH_SIZE, CONV_LR, MLP_LR, MOMENTUM, NUM_EPOCHS, fit
from lib.models import (GAP_CHANNELS, create_blurpool_cnn, create_gap_cnn, create_maxblurpool_cnn, create_maxpool_cnn,
                        create_mlp)
from lib.network import Sequential
from lib.network_base import Module
from lib.plotting.curves import plot_lines
from lib.shifts import Recentre, augment_with_shifts, shift_images
from lib.utilities import RESULTS_DIR, PathLike, read_csv, write_csv

CSV_FILE = "shift_study.csv"
PLOT_FILE = "shift_study.png"
CSV_COLUMNS = ("model", "direction", "shift", "dy", "dx", "val_accuracy")
SWEEP_SHIFTS = tuple(range(7))  # pixels right and down
# (name, dy, dx) with dy > 0 = down and dx > 0 = right, all 2 pixels.
DIRECTIONS = (("right", 0, 2), ("down", 2, 0), ("right+down", 2, 2), ("up-left", -2, -2))
MAX_AUGMENT_SHIFT = 3
AUGMENT_COPIES = 3  # shifted copies of the training set added for the augmented models
GAP_LR = 0.01
POOL_LR = CONV_LR  # the MaxPool and BlurPool CNNs train with the course CNN's learning rate

Row = Dict[str, object]


def ink_margins(images: np.ndarray) -> Dict[str, float]:
    """Mean number of empty (all-zero) rows or columns between each digit and each border of its image.

    A shift towards a border with a small margin pushes strokes out of the image; the margins also show
    the digits' shape (MNIST digits fill about 20 rows but fewer columns).

    Args:
        images: (N, C, H, W) images, zero where there is no ink.

    Returns:
        dict with the mean "top", "bottom", "left" and "right" margins in pixels; an empty image
        counts as margin H (or W) on every side.
    """
    ink = np.any(images != 0, axis=1)  # (N, H, W)
    rows, cols = ink.any(axis=2), ink.any(axis=1)  # (N, H), (N, W): which rows / columns hold ink

    def leading_empty(lines: np.ndarray) -> np.ndarray:
        return np.where(lines.any(axis=1), lines.argmax(axis=1), lines.shape[1])  # (N,)

    return {"top": float(leading_empty(rows).mean()), "bottom": float(leading_empty(rows[:, ::-1]).mean()),
            "left": float(leading_empty(cols).mean()), "right": float(leading_empty(cols[:, ::-1]).mean())}


def study_shifts() -> List[Tuple[str, int, int]]:
    """The (direction, dy, dx) triples the study evaluates: the right+down sweep, then the other directions."""
    sweep = [("right+down", s, s) for s in SWEEP_SHIFTS]
    return sweep + [(name, dy, dx) for name, dy, dx in DIRECTIONS if (name, dy, dx) not in sweep]


def study_plans(gap_channels: Sequence[int] = GAP_CHANNELS) -> List[Tuple[str, Callable[[], Module], float, bool]]:
    """The study's models: (name, builder, learning rate, trained on the augmented set), in the CSV's order.

    Every builder returns a model of (N, 1, 28, 28) images and draws its weights from the global stream.
    """
    def image_mlp() -> Module:
        return Sequential(Flatten(), *create_mlp().modules)  # (N, 784) -> the course MLP's layers

    return [("MLP", image_mlp, MLP_LR, False),
            ("CNN", create_conv_model, CONV_LR, False),
            ("GAP CNN", lambda: create_gap_cnn(gap_channels), GAP_LR, False),
            ("MLP + aug", image_mlp, MLP_LR, True),
            ("MaxPool CNN", create_maxpool_cnn, POOL_LR, False),
            ("BlurPool CNN", create_blurpool_cnn, POOL_LR, False),
            ("MaxBlurPool CNN", create_maxblurpool_cnn, POOL_LR, False),
            ("MLP centred", lambda: Sequential(Recentre(), *image_mlp().modules), MLP_LR, False),
            ("CNN + aug", create_conv_model, CONV_LR, True)]


def train_study_models(data: Tuple[np.ndarray, ...], seed: int, dtype=np.float64,
                       num_epochs: int = NUM_EPOCHS, gap_channels: Sequence[int] = GAP_CHANNELS,
                       progress: Optional[bool] = None, names: Optional[Sequence[str]] = None) -> Dict[str, Module]:
    """Train the study's models (`study_plans`), each right after `np.random.seed(seed)`.

    Args:
        data: `(x_train, y_train, x_val, y_val)` with images of shape (N, 1, 28, 28).
        seed: the seed every model starts from; the augmentation draws from `RandomState(seed)`.
        dtype: float dtype of the computation.
        num_epochs: passes over the training data (of the augmented set, for the augmented models).
        gap_channels: feature maps of the GAP CNN's three convolutions.
        progress: progress display inside each epoch.
        names: train only these models (default: all).

    Returns:
        dict from model name to the trained model, in `study_plans` order.
    """
    x_train, y_train, x_val, y_val = data
    plans = [plan for plan in study_plans(gap_channels) if names is None or plan[0] in names]
    if any(augmented for *_, augmented in plans):  # the shifted copies only when a model trains on them
        x_aug, y_aug = augment_with_shifts(x_train, y_train, np.random.RandomState(seed), AUGMENT_COPIES,
                                           MAX_AUGMENT_SHIFT)
    models = {}
    for name, build, lr, augmented in plans:
        print(f"Shift study: training {name}")
        np.random.seed(seed)
        model = build()
        train_data = (x_aug, y_aug) if augmented else (x_train, y_train)
        fit(model, lr, train_data + (x_val, y_val), dtype, num_epochs, BATCH_SIZE, MOMENTUM, progress)
        models[name] = model
    return models


def with_course_models(mlp: Module, cnn: Module, data: Tuple[np.ndarray, ...], seed: int, dtype=np.float64,
                       num_epochs: int = NUM_EPOCHS, progress: Optional[bool] = None) -> Dict[str, Module]:
    """The study's models, with the course's MLP and CNN as the second experiment trained (or loaded) them.

    The study's "MLP" and "CNN" follow the course's recipe from the same seed, so they are those two
    models: only the other seven are trained here (`train_study_models`).

    Args:
        mlp: the trained course MLP, of (N, 784) rows; the study runs it behind a `Flatten` (same layers).
        cnn: the trained course CNN.
        data: `(x_train, y_train, x_val, y_val)` with images of shape (N, 1, 28, 28).
        seed, dtype, num_epochs, progress: as in `train_study_models`.

    Returns:
        dict from model name to the trained model, in `study_plans` order.
    """
    course = {"MLP": Sequential(Flatten(), *mlp.modules), "CNN": cnn}  # (N, 1, 28, 28) -> (N, 784) -> the MLP
    names = [name for name, *_ in study_plans()]
    trained = train_study_models(data, seed, dtype, num_epochs, progress=progress,
                                 names=[n for n in names if n not in course])
    return {name: course[name] if name in course else trained[name] for name in names}


def measure_shift_accuracies(models: Dict[str, Module], x_val: np.ndarray, y_val: np.ndarray) -> List[Row]:
    """Validation accuracy of every model on every shift of `study_shifts()`.

    Returns:
        One dict per (model, shift) with the keys of `CSV_COLUMNS`.
    """
    rows = []
    for direction, dy, dx in study_shifts():
        x_shifted = shift_images(x_val, dy, dx)
        for name, model in models.items():
            rows.append({"model": name, "direction": direction, "shift": max(abs(dy), abs(dx)), "dy": dy, "dx": dx,
                         "val_accuracy": accuracy_on(model, x_shifted, y_val, BATCH_SIZE)})
    return rows


def write_study_csv(rows: List[Row], path: Path) -> Path:
    """Write the rows with the header `CSV_COLUMNS` (accuracies to 4 decimals) to `path`, atomically."""
    return write_csv(path, CSV_COLUMNS, ({**row, "val_accuracy": f"{row['val_accuracy']:.4f}"} for row in rows))


def read_study_csv(path: PathLike) -> List[Row]:
    """The rows `write_study_csv` wrote: shift, dy and dx as ints, val_accuracy as a float (4 decimals).

    Raises:
        KeyError: naming a column of `CSV_COLUMNS` that the file lacks; ValueError: for a malformed number.
    """
    return read_csv(path, {"shift": int, "dy": int, "dx": int, "val_accuracy": float})


def sweep_series(rows: List[Row]) -> Dict[str, List[float]]:
    """Accuracy per model over the right+down sweep, in `SWEEP_SHIFTS` order (what the plot shows)."""
    series = {}
    for row in rows:
        if row["direction"] == "right+down":
            series.setdefault(row["model"], []).append(row["val_accuracy"])
    return series


def run_shift_study(data: Tuple[np.ndarray, ...], seed: int = 0, dtype=np.float64, num_epochs: int = NUM_EPOCHS,
                    gap_channels: Sequence[int] = GAP_CHANNELS, progress: Optional[bool] = None,
                    show: Optional[bool] = None, out_dir: Optional[Path] = None) -> List[Row]:
    """Train the study's models and measure their accuracy on shifted validation images.

    Writes `shift_study.csv` (columns `CSV_COLUMNS`, one row per model and shift) and `shift_study.png`
    (accuracy vs. right+down shift, one line per model) to `out_dir`, and prints the digits' mean
    empty margins (`ink_margins`) and the table.

    Args:
        data: `(x_train, y_train, x_val, y_val)`, images of shape (N, 1, 28, 28) and one-hot labels.
        seed: the fixed seed every model trains from.
        dtype: float dtype of the computation.
        num_epochs: passes over the training data.
        gap_channels: feature maps of the GAP CNN's three convolutions.
        progress: progress display inside each epoch.
        show: show the figure in a window (None: only where a display exists).
        out_dir: the folder the CSV and the figure are written to; None: `RESULTS_DIR`.

    Returns:
        The rows written to the CSV.
    """
    models = train_study_models(data, seed, dtype, num_epochs, gap_channels, progress)
    return report_shift_study(models, data[2], data[3], out_dir, show)


def report_shift_study(models: Dict[str, Module], x_val: np.ndarray, y_val: np.ndarray,
                       out_dir: Optional[Path] = None, show: Optional[bool] = None) -> List[Row]:
    """Measure trained models on the study's shifts; write the CSV and the figure and print the table.

    Args:
        models: trained models of (N, 1, 28, 28) images by name (`train_study_models`).
        x_val: (N, 1, 28, 28) validation images.
        y_val: (N, 10) one-hot validation labels.
        out_dir: the folder `shift_study.csv` and `shift_study.png` are written to; None: `RESULTS_DIR`.
        show: show the figure in a window (None: only where a display exists).

    Returns:
        The rows written to the CSV.
    """
    out_dir = Path(RESULTS_DIR if out_dir is None else out_dir)
    margins = ink_margins(x_val)
    print("Mean empty margin of the validation digits (pixels): "
          + ", ".join(f"{side} {value:.2f}" for side, value in margins.items()))
    rows = measure_shift_accuracies(models, x_val, y_val)
    write_study_csv(rows, out_dir / CSV_FILE)
    plot_lines(list(SWEEP_SHIFTS), sweep_series(rows), xlabel="shift right and down (pixels)",
               ylabel="validation accuracy", title="Accuracy on shifted validation images",
               save_path=out_dir / PLOT_FILE, show=show)
    print(format_table(rows))
    return rows


def format_table(rows: List[Row]) -> str:
    """The rows as a plain-text table: one line per model, one column per (direction, shift)."""
    columns = [(d, dy, dx) for d, dy, dx in study_shifts()]
    header = ["model"] + [f"{d} {max(abs(dy), abs(dx))}" for d, dy, dx in columns]
    lines = [" | ".join(header)]
    for name in dict.fromkeys(row["model"] for row in rows):
        cells = {(r["direction"], r["dy"], r["dx"]): r["val_accuracy"] for r in rows if r["model"] == name}
        lines.append(" | ".join([name] + [f"{cells[c]:.4f}" for c in columns]))
    return "\n".join(lines)
