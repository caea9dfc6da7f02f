"""Specification of the strong CNN experiment and its learning-rate schedule, on small synthetic digits.

The real MNIST is never loaded: `load_mnist_data` is replaced by ten synthetic classes (a bright
square at a class-specific place), every run happens in tmp_path, and runs are a few dozen steps.
What is checked: the printed lines, that the loss falls, the options, the files, and that a saved
model (batch-norm running statistics included) reloads to the same predictions.
"""
import contextlib
import io
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from layer_fixtures import synthetic_digits
from lib.studies import strong_cnn
from lib.model_evaluation import evaluate
from lib.losses import CrossEntropyLoss
from lib.optimizers import SGD
from lib.network_base import Parameter
from lib.studies.schedulers import ScheduledOptimizer, stable_then_linear_decay
from lib.studies.strong_cnn import (BATCH_SIZE, create_strong_cnn, load_strong_cnn, run_strong_conv_experiment,
                                    strong_argument_parser)
from lib.utilities import load_arrays

SIZES = (1000, 250, 250)  # train, validation, test: multiples of the batch size 125


def fake_splits():
    """Synthetic digits as `load_mnist_data` returns them: (x_train, x_val, x_test, y_train, y_val, y_test)."""
    rng = np.random.RandomState(0)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = (synthetic_digits(n, rng) for n in SIZES)
    return x_train, x_val, x_test, y_train, y_val, y_test


@pytest.fixture
def fake_mnist(monkeypatch, tmp_path):
    """Replace MNIST by synthetic digits (1000/250/250) and run in tmp_path."""
    splits = fake_splits()
    monkeypatch.setattr(strong_cnn, "load_mnist_data", lambda: splits)
    monkeypatch.chdir(tmp_path)
    return splits


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """Three epochs over the 1000 synthetic training images (24 steps), seed 0, no figure, run once.

    Returns:
        (StrongRun, what it printed, the synthetic splits); the run's files are in a temporary directory.
    """
    splits = fake_splits()
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out):
        patch.setattr(strong_cnn, "load_mnist_data", lambda: splits)
        patch.chdir(tmp_path_factory.mktemp("strong"))
        run = run_strong_conv_experiment(seed=0, num_epochs=3, max_datapoints=1000, progress=False, plot_curves=False)
        run = run._replace(model_path=run.model_path.resolve(), curves_path=run.curves_path.resolve())
    return run, out.getvalue(), splits


# ---------------------------------------------------------------- the model

def test_strong_cnn_has_three_conv_blocks_and_a_linear_head():
    np.random.seed(0)
    model = create_strong_cnn()
    names = [type(m).__name__ for m in model.modules]
    assert names == ["Conv2d", "MaxPool2d", "BatchNorm2d", "ReLU"] * 3 + ["Flatten", "Linear"]
    assert model(np.zeros((2, 1, 28, 28), dtype=np.float32)).shape == (2, 10)
    assert model.modules[-1].W.data.shape == (32 * 3 * 3, 10)


def test_strong_cnn_draws_only_the_course_layers_weights():
    np.random.seed(3)
    create_strong_cnn((4, 8))
    after = np.random.rand()
    np.random.seed(3)
    np.random.randn(4, 1, 3, 3), np.random.randn(8, 4, 3, 3), np.random.randn(8 * 7 * 7, 10)
    assert np.random.rand() == after


@pytest.mark.parametrize("channels, error, match", [
    ((), ValueError, "channels must name 1 to 4 blocks"),
    ((4, 4, 4, 4, 4), ValueError, "channels must name 1 to 4 blocks"),
    ((4, 0), ValueError, "channels\\[1\\] must be a positive int"),
    ((4, 2.5), TypeError, "channels\\[1\\] must be a positive int"),
])
def test_strong_cnn_rejects_bad_channels(channels, error, match):
    with pytest.raises(error, match=match):
        create_strong_cnn(channels)


# ---------------------------------------------------------------- the schedule

def test_schedule_holds_the_peak_then_falls_linearly_to_one_step():
    factors = [stable_then_linear_decay(step, 10, 0.5) for step in range(10)]
    assert factors == [1.0] * 5 + [1.0, 0.8, 0.6, 0.4, 0.2]
    assert [stable_then_linear_decay(step, 4, 1.0) for step in range(4)] == [1.0, 0.75, 0.5, 0.25]
    assert stable_then_linear_decay(99, 4, 1.0) == 0.25  # past the end: the last factor


def test_scheduled_optimizer_sets_the_rate_of_each_step():
    param = Parameter(np.zeros(1), grad=np.ones(1))
    optimizer = ScheduledOptimizer(SGD([param], lr=0.5), total_steps=4, decay_fraction=0.5)
    rates = []
    for _ in range(4):
        optimizer.step()
        rates.append(optimizer.optimizer.lr)
    assert rates == [0.5, 0.5, 0.5, 0.25]
    assert param.data[0] == pytest.approx(-(0.5 + 0.5 + 0.5 + 0.25))
    optimizer.zero_grad()
    assert param.grad[0] == 0 and optimizer.steps_taken == 4


@pytest.mark.parametrize("total_steps, decay_fraction, error, match", [
    (0, 0.5, ValueError, "total_steps must be a positive int"),
    (1.5, 0.5, TypeError, "total_steps must be a positive int"),
    (10, 0.0, ValueError, "decay_fraction must be > 0"),
    (10, 1.5, ValueError, "decay_fraction must be >= 0.0 and <= 1.0"),
    (10, "half", TypeError, "decay_fraction must be a real number"),
])
def test_scheduled_optimizer_rejects_bad_arguments(total_steps, decay_fraction, error, match):
    with pytest.raises(error, match=match):
        ScheduledOptimizer(SGD([Parameter(np.zeros(1))], lr=0.1), total_steps, decay_fraction)


# ---------------------------------------------------------------- the run

def test_run_prints_the_course_lines_and_the_test_accuracy(small_run):
    run, printed, _ = small_run
    lines = printed.splitlines()
    for epoch in (1, 2, 3):
        start = lines.index(f"Epoch {epoch} / 3:")
        assert lines[start + 1].startswith("  Training Accuracy: ")
        assert lines[start + 2].startswith("  Training Cost: ")
        assert re.fullmatch(r"  Eval Accuracy: [01]\.\d{4}", lines[start + 3])
    assert sum(line.startswith("Test Accuracy: ") for line in lines) == 1
    assert lines[-1] == f"Test Accuracy: {run.test_accuracy:.4f}"
    assert re.fullmatch(r"Test Accuracy: [01]\.\d{4}", lines[-1])


def test_run_lowers_the_loss_and_learns_the_synthetic_classes(small_run):
    run, _, _ = small_run
    train_costs, _, eval_costs, eval_accuracies = run.results
    assert train_costs.shape == (3,)
    assert train_costs[-1] < 0.5 * train_costs[0]
    assert eval_costs[-1] < eval_costs[0]
    assert eval_accuracies[-1] > 0.9 and run.test_accuracy > 0.9


def test_run_saves_the_model_and_the_curves(small_run):
    run, _, _ = small_run
    assert run.model_path.parts[-2:] == ("results", "strong_cnn.npz") and run.model_path.is_file()
    curves = load_arrays(run.curves_path)
    assert sorted(curves) == ["eval_accuracies", "eval_costs", "train_accuracies", "train_costs"]
    np.testing.assert_array_equal(curves["eval_accuracies"], run.results[3])


def test_saved_model_reloads_with_its_running_statistics(small_run):
    run, _, (_, x_val, _, _, y_val, _) = small_run
    model = load_strong_cnn(run.model_path)
    norms = [m for m in model.modules if type(m).__name__ == "BatchNorm2d"]
    assert not np.allclose(norms[0].running_mean, 0) and not np.allclose(norms[0].running_var, 1)
    accuracy, _ = evaluate(x_val, y_val, model, CrossEntropyLoss(), BATCH_SIZE)
    assert accuracy == run.results[3][-1]  # the same predictions as after the last epoch


def test_runs_are_reproducible_under_a_seed(fake_mnist):
    first = run_strong_conv_experiment(seed=1, num_epochs=1, max_datapoints=250, progress=False, plot_curves=False)
    second = run_strong_conv_experiment(seed=1, num_epochs=1, max_datapoints=250, progress=False, plot_curves=False)
    for a, b in zip(first.results, second.results):
        np.testing.assert_array_equal(a, b)


def test_script_runs_with_its_options(fake_mnist, monkeypatch, capsys):
    import run_strong_conv_experiment as script
    monkeypatch.setattr(sys, "argv", ["run_strong_conv_experiment.py", "--epochs", "1", "--max_datapoints", "250",
                                      "--seed", "2", "--dtype", "float64"])
    script.main()
    out = capsys.readouterr().out
    assert "Epoch 1 / 1:" in out and "Test Accuracy: " in out
    assert (Path("results") / "strong_learning_curves.png").is_file()
    assert load_arrays(Path("results") / "strong_cnn.npz")["0.Conv2d.conv_filter"].dtype == np.float64


def test_parser_defaults_are_the_recipe():
    args = strong_argument_parser("doc").parse_args([])
    assert (args.seed, args.dtype, args.epochs, args.max_datapoints, args.show) == (0, "float32", 2, 50000, False)


@pytest.mark.parametrize("option, value, message", [
    ("--epochs", "0", "--epochs must be at least 1"),
    ("--epochs", "two", "--epochs must be an integer"),
    ("--max_datapoints", "100", "--max_datapoints must be a multiple of the batch size 125"),
    ("--max_datapoints", "50125", "--max_datapoints must be a multiple of the batch size 125"),
    ("--seed", "-1", "--seed must be between 0 and 2\\*\\*32 - 1"),
    ("--dtype", "float16", "invalid choice"),
])
def test_parser_rejects_bad_options(option, value, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        strong_argument_parser("doc").parse_args([option, value])
    assert exit_info.value.code == 2
    assert message.replace("\\", "") in capsys.readouterr().err
