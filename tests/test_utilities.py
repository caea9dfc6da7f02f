"""Specification of one-hot encoding and the pickle-free result files."""
import os
import stat

import numpy as np
import pytest

from lib import utilities
from lib.utilities import load_result, one_hot_encoding, read_csv, save_arrays, save_result, write_csv


def test_one_hot_encoding():
    encoded = one_hot_encoding(np.array([2, 0, 1]), 3)
    assert encoded.dtype == np.float64
    np.testing.assert_array_equal(encoded, [[0, 0, 1], [1, 0, 0], [0, 1, 0]])


def test_one_hot_rejects_out_of_range_labels():
    with pytest.raises(ValueError, match=r"labels y must lie in \[0, 3\)"):
        one_hot_encoding(np.array([0, 3]), 3)


@pytest.fixture
def results_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(utilities, "RESULTS_DIR", tmp_path / "results")
    return tmp_path / "results"


def test_save_and_load_result_round_trip_without_pickle(results_dir):
    arrays = (np.arange(3.0), np.ones((2, 2)))
    path = save_result("curves.pkl", arrays)
    assert path == results_dir / "curves.npz"
    loaded = load_result("curves")
    assert isinstance(loaded, tuple) and len(loaded) == 2
    for a, b in zip(arrays, loaded):
        np.testing.assert_array_equal(a, b)
    save_result("single", (np.arange(2),))
    assert isinstance(load_result("single"), tuple)
    save_result("weights", {"W": np.eye(2)})
    np.testing.assert_array_equal(load_result("weights")["W"], np.eye(2))
    with np.load(str(path), allow_pickle=False) as data:  # must not need pickle
        assert "arr_0" in data.files


def test_object_arrays_are_refused(results_dir):
    with pytest.raises(TypeError, match="dtype object"):
        save_result("bad", {"x": np.array([{"a": 1}], dtype=object)})
    assert not results_dir.exists() or not list(results_dir.iterdir())


def test_writes_are_atomic_and_leave_no_temp_files(tmp_path):
    save_arrays(tmp_path / "a", {"x": np.zeros(2)})
    assert [p.name for p in tmp_path.iterdir()] == ["a.npz"]


def test_written_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = save_arrays(tmp_path / "a", {"x": np.zeros(2)})
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


@pytest.mark.parametrize("labels", [np.array(["a", "b"]), np.array([True, False])])
def test_one_hot_rejects_non_numeric_labels(labels):
    with pytest.raises(TypeError, match="y must hold integer class indices"):
        one_hot_encoding(labels, 3)


def test_read_csv_converts_the_named_columns_of_what_write_csv_wrote(tmp_path):
    path = write_csv(tmp_path / "rows.csv", ["model", "dy", "accuracy"],
                     [{"model": "CNN", "dy": "-2", "accuracy": "0.9637"}, {"model": "MLP", "dy": "3", "accuracy": "1"}])
    rows = read_csv(path, {"dy": int, "accuracy": float})
    assert rows == [{"model": "CNN", "dy": -2, "accuracy": 0.9637}, {"model": "MLP", "dy": 3, "accuracy": 1.0}]
    assert type(rows[0]["dy"]) is int and type(rows[1]["accuracy"]) is float


def test_read_csv_names_a_missing_column(tmp_path):
    path = write_csv(tmp_path / "rows.csv", ["model"], [{"model": "CNN"}])
    with pytest.raises(KeyError, match="dy"):
        read_csv(path, {"dy": int})
