"""The equivariance lab run: per-layer equivariance errors, consistency and pictures for the trained models.

`run_equivariance_lab` measures the course CNN (named "CNN") and every other model of the shift study
(`lib/studies/shift_study.py`) on validation images and writes, under `out_dir`:

* `equivariance.csv`: `model,layer_index,layer,dy,dx,relative_error` for shifts dy, dx in -4..4
  (`lib.equivariance.measure.equivariance_sweep`), and `equivariance.png`, the course CNN's errors per layer;
* `consistency.csv`: `model,consistency,clean_accuracy`, Zhang's consistency under two random shifts
  of up to 3 pixels per axis (`lib.equivariance.measure.consistency`) and the accuracy on unshifted images;
* `feature_maps.png`, `filters.png`, `confusion_matrix.png` and `misclassified.png` of the course CNN
  (the default names of `lib.plotting.lab`'s figures).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from lib.checks import check_positive_int
from lib.equivariance.consistency import CONSISTENCY_PAIRS
from lib.equivariance.measure import EXACT, SWEEP_COLUMNS, consistency, equivariance_sweep
from lib.model_evaluation import EVAL_CHUNK_SIZE, accuracy, predict
from lib.network_base import Module
from lib.plotting.lab import (CONFUSION_FILE, EQUIVARIANCE_FILE, FEATURE_MAPS_FILE, FILTERS_FILE, MISCLASSIFIED_FILE,
                              plot_confusion_matrix, plot_equivariance, plot_feature_maps, plot_filters,
                              plot_misclassified)
from lib.utilities import RESULTS_DIR, PathLike, read_csv, write_csv

EQUIVARIANCE_CSV, EQUIVARIANCE_PNG = "equivariance.csv", EQUIVARIANCE_FILE
CONSISTENCY_CSV = "consistency.csv"
CONSISTENCY_COLUMNS = ("model", "consistency", "clean_accuracy")
FIGURES = (FEATURE_MAPS_FILE, FILTERS_FILE, CONFUSION_FILE, MISCLASSIFIED_FILE)  # the course CNN's pictures
SWEEP_IMAGES = 500  # validation images per equivariance sweep (81 shifts x every layer)
CONSISTENCY_MAX_SHIFT = 3  # pixels per axis, as in Zhang (2019)

Row = Dict[str, object]


def measure_equivariance(models: Dict[str, Module], images: np.ndarray) -> List[Row]:
    """`equivariance_sweep` of every model on the same (N, 1, 28, 28) images: one list of CSV rows, model order kept."""
    rows = []
    for name, model in models.items():
        print(f"Equivariance lab: per-layer errors of {name}")
        rows.extend(equivariance_sweep(model, images, name))
    return rows


def measure_consistency(models: Dict[str, Module], x_val: np.ndarray, y_val: np.ndarray, seed: int,
                        scores: Dict[str, np.ndarray]) -> List[Row]:
    """Consistency (each model with the same random shifts, from `RandomState(seed)`) and clean accuracy.

    x_val: (N, 1, 28, 28) images; y_val: (N, 10) one-hot labels; scores: each model's (N, 10) outputs on
    x_val (`predict`), which give the clean accuracy. Returns one row per model.
    """
    rows = []
    for name, model in models.items():
        print(f"Equivariance lab: consistency of {name}")
        rows.append({"model": name, "clean_accuracy": accuracy(y_val, scores[name]),
                     "consistency": consistency(model, x_val, CONSISTENCY_MAX_SHIFT, CONSISTENCY_PAIRS,
                                                np.random.RandomState(seed))})
    return rows


def write_equivariance_csv(rows: List[Row], path: PathLike) -> Path:
    """Write `equivariance_sweep`'s rows (columns `SWEEP_COLUMNS`, errors as `format_error` writes them), atomically."""
    return write_csv(path, SWEEP_COLUMNS, (dict(row, relative_error=format_error(row["relative_error"]))
                                           for row in rows))


def read_equivariance_csv(path: PathLike) -> List[Row]:
    """The rows `write_equivariance_csv` wrote: layer_index, dy and dx as ints, relative_error as a float.

    Raises:
        KeyError: naming a column of `SWEEP_COLUMNS` that the file lacks; ValueError: for a malformed number.
    """
    return read_csv(path, {"layer_index": int, "dy": int, "dx": int, "relative_error": float})


def write_consistency_csv(rows: List[Row], path: PathLike) -> Path:
    """Write `measure_consistency`'s rows (columns `CONSISTENCY_COLUMNS`, 4 decimals) to `path`, atomically."""
    return write_csv(path, CONSISTENCY_COLUMNS, ({"model": r["model"], "consistency": f"{r['consistency']:.4f}",
                                                  "clean_accuracy": f"{r['clean_accuracy']:.4f}"} for r in rows))


def read_consistency_csv(path: PathLike) -> List[Row]:
    """The rows `write_consistency_csv` wrote, consistency and clean_accuracy as floats (4 decimals).

    Raises:
        KeyError: naming a column of `CONSISTENCY_COLUMNS` that the file lacks; ValueError: for a malformed number.
    """
    return read_csv(path, {"consistency": float, "clean_accuracy": float})


def format_error(value: float) -> str:
    """A relative error for the CSV: "0" for exact zeros, else 3 significant digits; "nan" and "inf" as such."""
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return "0" if value == 0 else f"{value:.3e}"


def summarize_equivariance(rows: List[Row], exact: float = EXACT) -> str:
    """Per model and layer: for how many shifts the layer moves exactly, and its median error at the others.

    Args:
        rows: rows of `equivariance.csv` (relative_error as a number or as the CSV writes it).
        exact: errors below this count as exact (rounding only).

    Returns:
        A plain-text table, one line per model and layer.
    """
    errors = {}
    for row in rows:
        key = (row["model"], int(row["layer_index"]), row["layer"])
        errors.setdefault(key, []).append(float(row["relative_error"]))
    lines = ["model | layer | exact shifts | median error at the other shifts"]
    for (model, index, layer), values in errors.items():
        exact_count = sum(1 for v in values if v < exact)
        others = [v for v in values if not v < exact and not math.isnan(v)]  # nan: nothing was compared
        median = f"{np.median(others):.3g}" if others else "-"
        lines.append(f"{model} | {index}: {layer} | {exact_count} of {len(values)} | {median}")
    return "\n".join(lines)


def draw_course_cnn(cnn: Module, x_val: np.ndarray, y_val: np.ndarray, scores: np.ndarray, out_dir: Path,
                    show: Optional[bool] = None) -> None:
    """The four pictures of the course CNN (`FIGURES`): feature maps of a 2-pixel shift, filters, confusion
    matrix, misclassified digits.

    x_val: (N, 1, 28, 28) images; y_val: (N, 10) one-hot labels; scores: the CNN's (N, 10) outputs on x_val.
    """
    feature_maps, filters, confusion, misclassified = (Path(out_dir) / name for name in FIGURES)
    plot_feature_maps(cnn, x_val[0], shift=2, save_path=feature_maps, show=show)
    plot_filters(cnn.modules[0], save_path=filters, show=show)
    plot_confusion_matrix(y_val, scores, save_path=confusion, show=show)
    plot_misclassified(x_val, y_val, scores, save_path=misclassified, show=show)


def run_equivariance_lab(models: Dict[str, Module], x_val: np.ndarray, y_val: np.ndarray, seed: int = 0,
                         sweep_images: int = SWEEP_IMAGES, out_dir: Optional[Path] = None,
                         show: Optional[bool] = None) -> Dict[str, List[Row]]:
    """Measure the models' equivariance and consistency and draw the course CNN; write everything to `out_dir`.

    Args:
        models: trained models of (N, 1, 28, 28) images by name; "CNN" (the course CNN) is drawn.
        x_val: (N, 1, 28, 28) validation images.
        y_val: (N, 10) one-hot validation labels.
        seed: seed of the generator of the consistency's random shifts.
        sweep_images: the first this many validation images are used for the per-layer errors.
        out_dir: the folder the CSVs and figures are written to; None: `RESULTS_DIR`.
        show: show the figures in windows (None: only where a display exists).

    Returns:
        {"equivariance": rows of `equivariance.csv`, "consistency": rows of `consistency.csv`}, numbers unformatted.
    """
    sweep_images = check_positive_int(sweep_images, "sweep_images")
    out_dir = Path(RESULTS_DIR if out_dir is None else out_dir)
    equivariance = measure_equivariance(models, x_val[:sweep_images])
    write_equivariance_csv(equivariance, out_dir / EQUIVARIANCE_CSV)
    # Every model's scores once: they give its clean accuracy, and the course CNN's also its two pictures.
    scores = {name: predict(model, x_val, chunk_size=EVAL_CHUNK_SIZE) for name, model in models.items()}
    if "CNN" in models:
        plot_equivariance(equivariance, save_path=out_dir / EQUIVARIANCE_PNG, show=show, model="CNN")
        draw_course_cnn(models["CNN"], x_val, y_val, scores["CNN"], out_dir, show)
    consistency_rows = measure_consistency(models, x_val, y_val, seed, scores)
    write_consistency_csv(consistency_rows, out_dir / CONSISTENCY_CSV)
    print(summarize_equivariance(equivariance))
    print("model | consistency | clean accuracy")
    for r in consistency_rows:
        print(f"{r['model']} | {r['consistency']:.4f} | {r['clean_accuracy']:.4f}")
    return {"equivariance": equivariance, "consistency": consistency_rows}
