"""Specification of the equivariance lab run: the CSVs it writes (columns, rows, formats) and its figures.

Small untrained models on random images: the numbers are checked for form and for the cases whose answer
is known (an exact zero shift; a model whose output does not depend on its input), not for trained-model values.
"""
import csv
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from layer_fixtures import png_size
from lib.convolutions import Flatten
from lib.plotting.lab import CONFUSION_FILE, FEATURE_MAPS_FILE, FILTERS_FILE, MISCLASSIFIED_FILE
from lib.studies.equivariance_lab import (CONSISTENCY_COLUMNS, FIGURES, format_error, read_consistency_csv,
                                          read_equivariance_csv, run_equivariance_lab, summarize_equivariance)
from lib.experiments import create_conv_model
from lib.models import create_mlp
from lib.network import Linear, Sequential
from lib.utilities import one_hot_encoding


def read_csv(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


CONSTANT_CLASS = 3
X_VAL = np.random.RandomState(1).rand(50, 1, 28, 28).astype(np.float32)
LABELS = np.random.RandomState(2).randint(0, 10, 50)


def constant_model():
    """Scores that do not depend on the input: every image, shifted or not, is put in class CONSTANT_CLASS."""
    head = Linear(28 * 28, 10)
    head.W.data, head.b.data = np.zeros_like(head.W.data), np.eye(10)[CONSTANT_CLASS]
    return Sequential(Flatten(), head)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("lab")
    np.random.seed(0)
    models = {"CNN": create_conv_model().eval(), "MLP": Sequential(Flatten(), *create_mlp().modules).eval(),
              "Constant": constant_model()}
    results = run_equivariance_lab(models, X_VAL, one_hot_encoding(LABELS, 10), seed=0, sweep_images=3,
                                   out_dir=tmp_path, show=False)
    return tmp_path, results


def test_equivariance_csv_has_a_row_per_model_layer_and_shift(lab):
    out_dir, results = lab
    columns, rows = read_csv(out_dir / "equivariance.csv")
    assert columns == ["model", "layer_index", "layer", "dy", "dx", "relative_error"]
    assert len(rows) == 81 * (6 + 4 + 2)  # shifts -4..4 squared, times the CNN's 6, the MLP's 4, Constant's 2 layers
    cnn = [r for r in rows if r["model"] == "CNN" and r["dy"] == "0" and r["dx"] == "0"]
    assert [r["layer"] for r in cnn] == ["Conv2d", "ReLU", "Conv2d", "ReLU", "Flatten", "Linear"]
    assert all(float(r["relative_error"]) == 0 for r in cnn)  # no shift, no error
    first_conv = {(int(r["dy"]), int(r["dx"])): float(r["relative_error"]) for r in rows
                  if r["model"] == "CNN" and r["layer_index"] == "0"}
    assert first_conv[(2, -2)] < 1e-12 < first_conv[(1, 0)]  # stride 2: exact for even shifts only
    constant_head = [r for r in rows if r["model"] == "Constant" and r["layer_index"] == "1"]
    assert len(constant_head) == 81 and {r["relative_error"] for r in constant_head} == {"0"}  # same scores always


def test_consistency_csv_lists_every_model(lab):
    out_dir, results = lab
    columns, rows = read_csv(out_dir / "consistency.csv")
    assert tuple(columns) == CONSISTENCY_COLUMNS
    assert [r["model"] for r in rows] == ["CNN", "MLP", "Constant"]
    assert [f"{r['consistency']:.4f}" for r in results["consistency"]] == [r["consistency"] for r in rows]
    constant = rows[2]  # it predicts CONSTANT_CLASS for every image, shifted or not
    assert constant["consistency"] == "1.0000"
    assert constant["clean_accuracy"] == f"{np.mean(LABELS == CONSTANT_CLASS):.4f}" != "0.0000"


def test_the_readers_give_back_what_the_lab_wrote(lab):
    out_dir, results = lab
    equivariance = read_equivariance_csv(out_dir / "equivariance.csv")
    assert len(equivariance) == len(results["equivariance"])
    for read, measured in zip(equivariance, results["equivariance"]):
        assert {k: v for k, v in read.items() if k != "relative_error"} == {
            k: v for k, v in measured.items() if k != "relative_error"}
        assert read["relative_error"] == float(format_error(measured["relative_error"])) or (
            math.isnan(read["relative_error"]) and math.isnan(measured["relative_error"]))
    consistency = read_consistency_csv(out_dir / "consistency.csv")
    assert [(r["model"], r["consistency"], r["clean_accuracy"]) for r in consistency] == [
        (r["model"], round(r["consistency"], 4), round(r["clean_accuracy"], 4)) for r in results["consistency"]]


def test_summarize_lab_runs_as_a_module_on_the_written_csv(lab):
    out_dir, results = lab
    printed = subprocess.run([sys.executable, "-m", "tools.summarize_lab", str(out_dir / "equivariance.csv")],
                             capture_output=True, text=True, check=True,
                             cwd=str(Path(__file__).resolve().parent.parent)).stdout
    assert printed == summarize_equivariance(read_equivariance_csv(out_dir / "equivariance.csv")) + "\n"
    assert "CNN | 0: Conv2d | " in printed


def test_the_lab_draws_under_the_plotting_modules_names():
    assert FIGURES == (FEATURE_MAPS_FILE, FILTERS_FILE, CONFUSION_FILE, MISCLASSIFIED_FILE)
    assert FILTERS_FILE == "filters.png"  # the one name, as the README lists it


def test_the_course_cnn_is_drawn(lab):
    out_dir, _ = lab
    for name in FIGURES + ("equivariance.png",):
        width, height = png_size(out_dir / name)  # a figure of a few inches at 100 dpi, not a stub or a poster
        assert 200 <= min(width, height) and max(width, height) <= 4000, (name, width, height)


@pytest.mark.parametrize("value, text", [(0.0, "0"), (1.234567e-15, "1.235e-15"), (0.5, "5.000e-01"),
                                         (float("nan"), "nan"), (float("inf"), "inf")])
def test_format_error(value, text):
    assert format_error(value) == text


def test_the_summary_counts_exact_shifts_and_takes_the_median_of_the_others():
    rows = [{"model": "M", "layer_index": 0, "layer": "Conv2d", "dy": dy, "dx": 0, "relative_error": error}
            for dy, error in enumerate([0.0, "1.000e-15", 0.2, 0.4, float("nan")])]
    assert summarize_equivariance(rows).splitlines() == [
        "model | layer | exact shifts | median error at the other shifts",
        "M | 0: Conv2d | 2 of 5 | 0.3"]  # nan (nothing compared) is neither exact nor part of the median
