"""The root scripts at their edges, run as a user runs them: a subprocess in a fresh working folder.

A problem the user can fix (a broken data or model file, a file where the results folder should be)
ends the script at once with one line on stderr, `Error: ...`, and exit status 1; Ctrl-C ends it with
one line saying what was saved and status 130, leaving no partial or temporary file under results/.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from lib.experiments import create_conv_model
from lib.model_files import save_model

REPO = Path(__file__).resolve().parent.parent
SMALL = ["--max_datapoints", "100"]


def run(script, *args, cwd, repo=REPO, timeout=240, env=None):
    """Run a root script of `repo` with `cwd` as working folder; return the finished process."""
    return subprocess.run([sys.executable, str(repo / script), *args], cwd=str(cwd), capture_output=True,
                          text=True, timeout=timeout, env=env)


def one_error_line(process) -> str:
    """The single line a script printed on stderr after a library error (exit status 1)."""
    assert process.returncode == 1, process.stderr
    assert "Traceback" not in process.stderr
    lines = process.stderr.splitlines()
    assert len(lines) == 1, process.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def files_under(folder: Path):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


@pytest.mark.parametrize("script, args", [("run_conv_experiment.py", SMALL), ("run_shifted_conv_experiment.py", SMALL),
                                          ("run_strong_conv_experiment.py", ["--max_datapoints", "125"]),
                                          ("plot_mnist.py", [])])
def test_a_file_where_the_results_folder_should_be_stops_the_run_before_any_work(tmp_path, script, args):
    (tmp_path / "results").write_text("a file, not a folder")
    process = run(script, *args, cwd=tmp_path)
    line = one_error_line(process)
    assert line == ("Error: results is a file, but results are written to a folder of that name: rename or "
                    "remove the file, or run from another working folder")
    assert process.stdout == ""  # nothing was loaded or trained
    assert (tmp_path / "results").read_text() == "a file, not a folder"


def test_the_second_experiment_without_the_first_ones_model_is_one_line_saying_what_to_run(tmp_path):
    line = one_error_line(run("run_shifted_conv_experiment.py", *SMALL, cwd=tmp_path))
    assert line == ("Error: no trained CNN at results/conv_model.npz. Run the first experiment before you run the "
                    "second experiment. Run `python run_conv_experiment.py` first, or add --train-cnn to train it "
                    "here.")


def test_a_missing_results_folder_is_created(tmp_path):
    process = run("run_conv_experiment.py", *SMALL, cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    assert (tmp_path / "results" / "conv_model.npz").is_file()


def test_a_truncated_mnist_file_is_one_line_naming_the_file_and_the_fix(tmp_path):
    checkout = tmp_path / "checkout"  # a copy of the scripts, the library and the data, one file truncated
    shutil.copytree(str(REPO / "lib"), str(checkout / "lib"), ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(str(REPO / "data"), str(checkout / "data"))
    shutil.copy(str(REPO / "plot_mnist.py"), str(checkout))
    images = checkout / "data" / "train-images-idx3-ubyte.gz"
    images.write_bytes(images.read_bytes()[:1000])
    process = run("plot_mnist.py", cwd=tmp_path, repo=checkout)
    line = one_error_line(process)
    assert "train-images-idx3-ubyte.gz" in line and "truncated" in line and "To fix it, delete" in line
    assert not (tmp_path / "results" / "mnist_samples.png").exists()


def test_a_bad_seed_is_refused_by_the_option_parser(tmp_path):
    process = run("run_simple_conv.py", "--seed", "-1", cwd=tmp_path)
    assert process.returncode == 2 and "Traceback" not in process.stderr
    assert process.stderr.splitlines()[-1].endswith("--seed must be between 0 and 2**32 - 1, got -1")


def test_scripts_that_write_nothing_still_run(tmp_path):
    for script, last in [("show_conv_output_dims.py", "Output shape: [9, 9]"),
                         ("run_simple_conv.py", "Output shape: (10, 3, 3, 3)")]:
        process = run(script, cwd=tmp_path)
        assert process.returncode == 0 and process.stdout.splitlines()[-1] == last
    assert files_under(tmp_path) == []


def interrupt_after(args, marker: str, cwd: Path):
    """Start a script, send SIGINT (Ctrl-C) once `marker` appears in its output, return (status, stderr)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, *args], cwd=str(cwd), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 240
    for line in process.stdout:
        if marker in line:
            process.send_signal(signal.SIGINT)
            break
        assert time.monotonic() < deadline, "the marker never appeared"
    _, stderr = process.communicate(timeout=120)
    return process.returncode, stderr


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is a POSIX notion")
def test_ctrl_c_during_training_says_nothing_was_saved_and_leaves_results_as_it_was(tmp_path):
    status, stderr = interrupt_after([str(REPO / "run_conv_experiment.py"), "--max_datapoints", "2000"],
                                     "Epoch 2 / 10:", tmp_path)
    assert status == 130
    assert stderr.splitlines() == ["Interrupted: nothing was saved; results is as it was."]
    assert files_under(tmp_path / "results") == []


def test_a_truncated_model_file_in_results_is_one_line_suggesting_to_retrain(tmp_path):
    path = save_model(create_conv_model(), tmp_path / "results" / "conv_model.npz")
    path.write_bytes(path.read_bytes()[:300])
    process = run("run_shifted_conv_experiment.py", *SMALL, cwd=tmp_path)
    line = one_error_line(process)
    assert line.startswith("Error: results/conv_model.npz is not a readable .npz file of arrays")
    assert line.endswith("delete it and train the model again")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is a POSIX notion")
def test_ctrl_c_during_the_study_names_what_was_saved_and_leaves_no_temporary_file(tmp_path):
    np.random.seed(0)
    save_model(create_conv_model(), tmp_path / "results" / "conv_model.npz")
    status, stderr = interrupt_after([str(REPO / "run_shifted_conv_experiment.py"), *SMALL, "--study"],
                                     "Saved the samples to", tmp_path)
    assert status == 130
    assert stderr.splitlines() == ["Interrupted: saved results/validation_and_shifted_validation_data.png; "
                                   "nothing else was saved."]
    assert files_under(tmp_path / "results") == ["conv_model.npz", "validation_and_shifted_validation_data.png"]


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="these systems always have a display")
def test_show_without_a_display_is_a_one_line_note_and_the_figure_is_still_saved(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND")}
    process = run("plot_mnist.py", "--show", cwd=tmp_path, env=env)
    assert process.returncode == 0, process.stderr
    lines = process.stderr.splitlines()
    assert len(lines) == 1  # the backend's spelling ('Agg' or 'agg') depends on matplotlib's version
    assert re.fullmatch(r"Note: show=True, but matplotlib's backend '(?i:agg)' cannot open a window \(no display\?\); "
                        r"set MPLBACKEND to an interactive backend such as TkAgg", lines[0])
    assert process.stdout.splitlines()[-1] == "Saved results/mnist_samples.png"
    assert (tmp_path / "results" / "mnist_samples.png").stat().st_size > 0
