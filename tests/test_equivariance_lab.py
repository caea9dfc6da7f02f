"""Specification of the equivariance lab run: the CSVs it writes (columns, rows, formats) and its figures.

Small untrained models on random images: the numbers are checked for form and for the cases whose answer
is known (an exact zero shift), not for trained-model values.
"""
import csv

import numpy as np
import pytest

from lib.convolutions import Flatten
from lib.equivariance_lab import (CONSISTENCY_COLUMNS, FIGURES, format_error, run_equivariance_lab)
from lib.models import create_conv_model, create_mlp
from lib.network import Sequential
from lib.utilities import one_hot_encoding


def read_csv(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("lab")
    np.random.seed(0)
    models = {"CNN": create_conv_model().eval(), "MLP": Sequential(Flatten(), *create_mlp().modules).eval()}
    rng = np.random.RandomState(1)
    x_val = rng.rand(50, 1, 28, 28).astype(np.float32)
    y_val = one_hot_encoding(rng.randint(0, 10, 50), 10)
    results = run_equivariance_lab(models, x_val, y_val, seed=0, sweep_images=3, out_dir=tmp_path, show=False)
    return tmp_path, results


def test_equivariance_csv_has_a_row_per_model_layer_and_shift(lab):
    out_dir, results = lab
    columns, rows = read_csv(out_dir / "equivariance.csv")
    assert columns == ["model", "layer_index", "layer", "dy", "dx", "relative_error"]
    assert len(rows) == 81 * (6 + 4)  # shifts -4..4 squared, times the CNN's 6 and the MLP's 4 layers
    cnn = [r for r in rows if r["model"] == "CNN" and r["dy"] == "0" and r["dx"] == "0"]
    assert [r["layer"] for r in cnn] == ["Conv2d", "ReLU", "Conv2d", "ReLU", "Flatten", "Linear"]
    assert all(float(r["relative_error"]) == 0 for r in cnn)  # no shift, no error
    first_conv = {(int(r["dy"]), int(r["dx"])): float(r["relative_error"]) for r in rows
                  if r["model"] == "CNN" and r["layer_index"] == "0"}
    assert first_conv[(2, -2)] < 1e-12 < first_conv[(1, 0)]  # stride 2: exact for even shifts only


def test_consistency_csv_lists_every_model(lab):
    out_dir, results = lab
    columns, rows = read_csv(out_dir / "consistency.csv")
    assert tuple(columns) == CONSISTENCY_COLUMNS
    assert [r["model"] for r in rows] == ["CNN", "MLP"]
    assert all(0 <= float(r["consistency"]) <= 1 and 0 <= float(r["clean_accuracy"]) <= 1 for r in rows)
    assert [f"{r['consistency']:.4f}" for r in results["consistency"]] == [r["consistency"] for r in rows]


def test_the_course_cnn_is_drawn(lab):
    out_dir, _ = lab
    for name in FIGURES + ("equivariance.png",):
        assert (out_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


@pytest.mark.parametrize("value, text", [(0.0, "0"), (1.234567e-15, "1.235e-15"), (0.5, "5.000e-01"),
                                         (float("nan"), "nan"), (float("inf"), "inf")])
def test_format_error(value, text):
    assert format_error(value) == text
