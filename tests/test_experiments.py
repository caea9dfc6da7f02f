"""Specification of the course experiments and the shift study, on small synthetic digits.

The real MNIST is never loaded here: `load_mnist_data` is replaced by ten synthetic classes (a
bright square at a class-specific place), and every test runs in its own directory, so results/
lands in tmp_path. Accuracies are never asserted; what is checked is shapes, files, the printed
lines, that the loss falls, reproducibility and that a saved model reloads to the same predictions.
"""
import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from exact_messages import exactly
from layer_fixtures import synthetic_digits
from lib import experiments
from lib.studies import shift_study
from lib.experiments import (MISSING_MODEL_MESSAGE, SHIFTED_SAMPLES_FILE, MissingModelError,
                             create_conv_model, load_conv_model, load_mnist_data_subset, run_conv_experiment,
                             read_accuracies, run_shifted_conv_experiment, shift_data, train_conv_model,
                             write_accuracies)
from lib.losses import CrossEntropyLoss
from lib.model_evaluation import evaluate
from lib.model_files import save_model
from lib.models import create_gap_cnn
from recording import record

SIZES = (500, 100, 100)  # train, validation, test


@pytest.fixture
def fake_mnist(monkeypatch, tmp_path):
    """Replace MNIST by synthetic digits (500/100/100) and run in tmp_path."""
    rng = np.random.RandomState(0)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = (synthetic_digits(n, rng) for n in SIZES)
    monkeypatch.setattr(experiments, "load_mnist_data", lambda: (x_train, x_val, x_test, y_train, y_val, y_test))
    monkeypatch.chdir(tmp_path)
    return x_train, x_val, y_train, y_val


@pytest.fixture
def trained_cnn(fake_mnist):
    """Run the first experiment (300 images, 2 epochs, seed 0) so that results/conv_model.npz exists."""
    return run_conv_experiment(300, seed=0, num_epochs=2, progress=False, plot_curves=True, show=False)


# ---------------------------------------------------------------- models and data

def test_create_conv_model_has_the_course_layers_and_parameter_shapes():
    model = create_conv_model()
    assert [type(m).__name__ for m in model.modules] == ["Conv2d", "ReLU", "Conv2d", "ReLU", "Flatten", "Linear"]
    assert [p.data.shape for p in model.parameters()] == [(5, 1, 4, 4), (5, 1, 1), (10, 5, 4, 4), (10, 1, 1),
                                                          (490, 10), (10,)]
    assert model(np.zeros((3, 1, 28, 28))).shape == (3, 10)


def test_create_conv_model_draws_its_weights_from_the_global_stream_in_layer_order():
    np.random.seed(7)
    model = create_conv_model()
    np.random.seed(7)
    expected = [np.random.randn(5, 1, 4, 4) * 0.1, np.random.randn(10, 5, 4, 4) * 0.1,
                0.01 * np.random.randn(490, 10)]
    np.testing.assert_array_equal(model.parameters()[0].data, expected[0])
    np.testing.assert_array_equal(model.parameters()[2].data, expected[1])
    np.testing.assert_array_equal(model.parameters()[4].data, expected[2])


def test_load_mnist_data_subset_prints_and_truncates_all_six_arrays(fake_mnist, capsys):
    arrays = load_mnist_data_subset(50)
    assert capsys.readouterr().out == "Training set size will be reduced to 50\n"
    assert [len(a) for a in arrays] == [50] * 6
    np.testing.assert_array_equal(arrays[0], fake_mnist[0][:50])
    np.testing.assert_array_equal(arrays[4], fake_mnist[3][:50])
    for bad in (0, -3):
        with pytest.raises(ValueError, match=exactly(f"max_datapoints must be a positive int, got {bad}")):
            load_mnist_data_subset(bad)


def test_the_course_cnn_trains_with_the_sheets_recipe_in_the_dtype_and_display_asked_for(fake_mnist, monkeypatch,
                                                                                         capsys):
    recipes = []
    record(monkeypatch, experiments, "fit", recipes, keep=lambda arguments: {
        name: arguments[name] for name in ("lr", "dtype", "num_epochs", "batch_size", "momentum", "progress")})
    x_train, x_val, y_train, y_val = fake_mnist
    model, _ = train_conv_model((x_train[:100], y_train[:100], x_val[:100], y_val[:100]), seed=0,
                                dtype=np.float32, num_epochs=1, progress=True)
    assert recipes == [dict(lr=0.01, dtype=np.float32, num_epochs=1, batch_size=50, momentum=0.9, progress=True)]
    assert all(p.data.dtype == np.float32 for p in model.parameters())
    assert "\r  batch 2/2  loss " in capsys.readouterr().err  # 100 images, batches of 50


# ---------------------------------------------------------------- the first experiment

def test_run_conv_experiment_returns_four_curves_and_the_loss_falls(trained_cnn):
    assert len(trained_cnn) == 4
    for curve in trained_cnn:
        assert isinstance(curve, np.ndarray) and curve.shape == (2,)
    train_costs, train_accuracies, eval_costs, eval_accuracies = trained_cnn
    assert train_costs[1] < train_costs[0]
    assert eval_costs[1] < eval_costs[0]
    assert np.all((0 <= eval_accuracies) & (eval_accuracies <= 1))
    assert Path("results/conv_learning_curves.png").stat().st_size > 0


def test_the_saved_model_reloads_to_the_predictions_of_the_last_evaluation(fake_mnist, trained_cnn):
    path = Path("results") / "conv_model.npz"
    assert path.is_file()
    with np.load(path, allow_pickle=False) as saved:  # plain arrays, no pickle
        assert saved["0.Conv2d.conv_filter"].shape == (5, 1, 4, 4)
    state = np.random.get_state()
    model = load_conv_model()
    assert np.random.get_state()[1].tolist() == state[1].tolist()  # reloading draws nothing
    x_val, y_val = fake_mnist[1], fake_mnist[3]
    accuracy, cost = evaluate(x_val.astype(np.float64), y_val, model, CrossEntropyLoss(), 50)
    assert accuracy == trained_cnn[3][-1]
    assert cost == pytest.approx(trained_cnn[2][-1], rel=1e-12)


def test_save_and_load_reproduce_predictions_exactly(fake_mnist):
    x_train, x_val, y_train, y_val = fake_mnist
    model, _ = train_conv_model((x_train[:100], y_train[:100], x_val, y_val), seed=1, num_epochs=1, progress=False)
    save_model(model, "model.npz")
    reloaded = load_conv_model(Path("model.npz"))
    np.testing.assert_array_equal(reloaded(x_val.astype(np.float64)), model.eval()(x_val.astype(np.float64)))


def test_load_rejects_a_file_of_another_architecture(tmp_path):
    path = tmp_path / "wrong.npz"
    np.savez(path, a=np.zeros(3))
    with pytest.raises(ValueError, match=r"saved from another architecture: layer 0.Conv2d has no saved 'conv_filter'"):
        load_conv_model(path)


def test_results_dir_is_read_when_the_experiments_run(fake_mnist, monkeypatch, tmp_path):
    monkeypatch.setattr(experiments, "RESULTS_DIR", tmp_path / "elsewhere")
    run_conv_experiment(100, seed=0, num_epochs=1, progress=False)
    assert (tmp_path / "elsewhere" / "conv_model.npz").is_file() and not Path("results", "conv_model.npz").exists()
    run_shifted_conv_experiment(100, seed=0, num_epochs=1, progress=False)  # finds the model there


def test_a_seed_makes_the_run_reproducible_and_none_leaves_the_global_stream_alone(fake_mnist):
    seeded = run_conv_experiment(100, seed=3, num_epochs=1, progress=False)
    np.random.seed(3)
    unseeded = run_conv_experiment(100, seed=None, num_epochs=1, progress=False)
    for a, b in zip(seeded, unseeded):
        np.testing.assert_array_equal(a, b)


def test_float32_casts_parameters_once_and_still_learns(fake_mnist):
    x_train, x_val, y_train, y_val = fake_mnist
    model, (train_costs, *_) = train_conv_model((x_train, y_train, x_val, y_val), seed=0, dtype=np.float32,
                                                num_epochs=2, progress=False)
    assert all(p.data.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())
    assert model(x_val).dtype == np.float32
    assert train_costs[1] < train_costs[0]


# ---------------------------------------------------------------- shift_data

def test_shift_data_moves_right_and_down_and_fills_with_zeros():
    x = np.arange(1, 10, dtype=float).reshape(1, 1, 3, 3)
    np.testing.assert_array_equal(shift_data(x, 1)[0, 0], [[0, 0, 0], [0, 1, 2], [0, 4, 5]])
    images = np.random.RandomState(0).rand(4, 2, 5, 6)
    for shift in range(7):  # the course's np.pad formulation
        expected = np.pad(images, ((0, 0), (0, 0), (shift, 0), (shift, 0)))[:, :, :5, :6]
        np.testing.assert_array_equal(shift_data(images, shift), expected)


def test_shift_zero_is_an_equal_copy_and_a_large_shift_gives_zeros():
    x = np.random.RandomState(0).rand(2, 1, 4, 4).astype(np.float32)
    same = shift_data(x, 0)
    np.testing.assert_array_equal(same, x)
    same[0, 0, 0, 0] = 5.0
    assert x[0, 0, 0, 0] != 5.0
    for shift in (4, 10):
        gone = shift_data(x, shift)
        assert gone.shape == x.shape and gone.dtype == x.dtype and not gone.any()


def test_shift_data_rejects_bad_input():
    with pytest.raises(ValueError, match=r"x.shape should be \(dataset_size, channel_size, width, height\) "
                                         r"but is \(3, 4, 4\)"):
        shift_data(np.zeros((3, 4, 4)), 1)
    with pytest.raises(ValueError, match="shift must be >= 0"):
        shift_data(np.zeros((1, 1, 4, 4)), -1)
    with pytest.raises(TypeError, match="shift must be an int"):
        shift_data(np.zeros((1, 1, 4, 4)), 1.5)


# ---------------------------------------------------------------- the second experiment

def test_second_experiment_without_a_saved_model_raises_the_course_error(fake_mnist):
    with pytest.raises(RuntimeError, match="^Run the first experiment before you run the second experiment.$"):
        run_shifted_conv_experiment(100, num_epochs=1, progress=False)
    with pytest.raises(MissingModelError) as error:
        run_shifted_conv_experiment(100, num_epochs=1, progress=False)
    assert error.value.path == Path("results") / "conv_model.npz"


def test_second_experiment_prints_the_four_course_lines_and_saves_the_samples(fake_mnist, trained_cnn, capsys):
    assert run_shifted_conv_experiment(300, seed=0, num_epochs=2, progress=False) is None
    out = capsys.readouterr().out
    assert "Reload convolutional model from disk." in out
    labels = ["Accuracy on data using an MLP", "Accuracy on shifted data using an MLP",
              "Accuracy on data using convolutional model", "Accuracy on shifted data using convolutional model"]
    lines = [line for line in out.splitlines() if line.startswith("Accuracy on")]
    assert [line.split(":  ")[0] for line in lines] == labels  # print("<label>: ", value)
    assert lines[2] == f"{labels[2]}:  {trained_cnn[3][-1]}"  # the reloaded CNN is the trained one
    assert Path("results", SHIFTED_SAMPLES_FILE).stat().st_size > 0


def test_second_experiment_calls_plot_data_with_exactly_the_courses_arguments(fake_mnist, trained_cnn, monkeypatch):
    calls = []

    def course_plot_data(data, rows=5, cols=4, plot_border=True, title=""):  # the course's signature
        calls.append((data.shape, rows, cols, plot_border, title))

    monkeypatch.setattr(experiments, "plot_data", course_plot_data)
    run_shifted_conv_experiment(100, seed=0, num_epochs=1, progress=False)
    assert calls == [((8, 1, 28, 28), 2, 4, True, "Validation and shifted validation data.")]
    assert not Path("results", SHIFTED_SAMPLES_FILE).exists()  # the one call draws (and saves) the figure


def test_second_experiment_writes_the_accuracies_to_json(fake_mnist, trained_cnn):
    run_shifted_conv_experiment(100, seed=0, num_epochs=1, progress=False,
                                json_path=Path("acc.json"), command="python run_shifted_conv_experiment.py")
    record = json.loads(Path("acc.json").read_text())
    assert sorted(record) == ["cnn_val", "cnn_val_shifted", "command", "mlp_val", "mlp_val_shifted"]
    assert record["command"] == "python run_shifted_conv_experiment.py"
    assert read_accuracies("acc.json") == record


def test_read_accuracies_gives_back_what_write_accuracies_wrote(tmp_path):
    accuracies = {"mlp_val": 0.9435, "mlp_val_shifted": 0.4213, "cnn_val": 0.9637, "cnn_val_shifted": 1 / 3}
    path = write_accuracies(tmp_path / "sub" / "acc.json", accuracies, "python run_shifted_conv_experiment.py -x")
    assert read_accuracies(path) == dict(accuracies, command="python run_shifted_conv_experiment.py -x")


def test_the_second_experiment_returns_the_four_accuracies_when_asked(fake_mnist, trained_cnn):
    comparison = run_shifted_conv_experiment(300, seed=0, num_epochs=2, progress=False, return_comparison=True)
    accuracies = comparison.accuracies
    assert sorted(accuracies) == ["cnn_val", "cnn_val_shifted", "mlp_val", "mlp_val_shifted"]
    assert all(0 <= value <= 1 for value in accuracies.values())
    assert accuracies["cnn_val"] == trained_cnn[3][-1]
    x_train, x_val, y_train, y_val = fake_mnist
    for kept, loaded in zip(comparison.data, (x_train[:300], y_train[:300], x_val[:300], y_val[:300])):
        np.testing.assert_array_equal(kept, loaded)  # the data the models saw, for the study to go on with
    assert evaluate(x_val.reshape(len(x_val), -1), y_val, comparison.mlp, CrossEntropyLoss(), 50)[0] == \
        accuracies["mlp_val"]


def test_train_cnn_trains_and_saves_the_model_the_first_experiment_would(fake_mnist, capsys):
    comparison = run_shifted_conv_experiment(100, seed=0, dtype=np.float32, train_cnn=True, num_epochs=1, progress=True,
                                             return_comparison=True)
    out, err = capsys.readouterr()
    assert "Train the convolutional model now." in out.splitlines()  # the whole line
    # the CNN's epoch shows the display asked for; the MLP's is the course's train call, shown only on a terminal
    assert err.count("\r  batch 2/2  loss ") == 1
    assert all(p.data.dtype == np.float32 for p in comparison.cnn.parameters())
    first = run_conv_experiment(100, seed=0, dtype=np.float32, num_epochs=1, progress=False)
    assert comparison.accuracies["cnn_val"] == first[3][-1]


def test_the_script_turns_a_missing_model_into_a_message_and_a_non_zero_exit(fake_mnist, monkeypatch):
    import run_shifted_conv_experiment as script
    monkeypatch.setattr(sys, "argv", ["run_shifted_conv_experiment.py", "--max_datapoints", "100"])
    with pytest.raises(SystemExit) as exit_info:
        script.main()
    assert MISSING_MODEL_MESSAGE in str(exit_info.value.code)
    assert "--train-cnn" in str(exit_info.value.code)


# ---------------------------------------------------------------- the shift study

def test_the_study_writes_a_csv_with_every_model_and_shift_and_a_plot(fake_mnist):
    x_train, x_val, y_train, y_val = fake_mnist
    rows = shift_study.run_shift_study((x_train[:100], y_train[:100], x_val, y_val), seed=0, num_epochs=1,
                                       gap_channels=(2, 2, 4), progress=False, show=False)
    with open("results/shift_study.csv", newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames) == shift_study.CSV_COLUMNS
        written = list(reader)
    names = ["MLP", "CNN", "GAP CNN", "MLP + aug", "MaxPool CNN", "BlurPool CNN", "MaxBlurPool CNN", "MLP centred",
             "CNN + aug"]
    assert len(written) == len(rows) == len(names) * 10
    assert list(dict.fromkeys(row["model"] for row in written)) == names
    sweep = [(int(r["dy"]), int(r["dx"])) for r in written if r["model"] == "CNN" and r["direction"] == "right+down"]
    assert sweep == [(s, s) for s in range(7)]
    others = {r["direction"]: (int(r["dy"]), int(r["dx"])) for r in written if r["direction"] != "right+down"}
    assert others == {"right": (0, 2), "down": (2, 0), "up-left": (-2, -2)}
    assert all(0 <= float(r["val_accuracy"]) <= 1 for r in written)
    assert Path("results/shift_study.png").stat().st_size > 0
    read = shift_study.read_study_csv("results/shift_study.csv")  # the reader gives back the rows, to 4 decimals
    assert read == [dict(row, model=str(row["model"]), val_accuracy=round(row["val_accuracy"], 4)) for row in rows]


def test_the_studys_mlp_is_the_course_mlp_the_comparison_trained(fake_mnist, trained_cnn):
    """Why the study may reuse the comparison's MLP: trained on its own, it ends with the very same weights."""
    comparison = run_shifted_conv_experiment(100, seed=0, num_epochs=1, progress=False, return_comparison=True)
    alone = shift_study.train_study_models(comparison.data, seed=0, num_epochs=1, progress=False, names=["MLP"])
    reused = shift_study.with_course_models(comparison.mlp, comparison.cnn, comparison.data, seed=0, num_epochs=1,
                                            progress=False)
    assert list(reused) == [name for name, *_ in shift_study.study_plans()] and reused["CNN"] is comparison.cnn
    for mine, theirs in zip(reused["MLP"].parameters(), alone["MLP"].parameters()):
        np.testing.assert_array_equal(mine.data, theirs.data)


def test_gap_cnn_ends_in_global_average_pooling():
    model = create_gap_cnn((2, 3, 4))
    assert type(model.modules[-2]).__name__ == "GlobalAvgPool2d"
    assert model(np.zeros((2, 1, 28, 28))).shape == (2, 10)


def test_ink_margins_count_the_empty_rows_and_columns_next_to_each_border():
    images = np.zeros((2, 1, 6, 5))
    images[0, 0, 1:3, 2] = 1.0  # rows 1-2, column 2
    margins = shift_study.ink_margins(images)  # the empty image counts as all margin
    assert margins == {"top": (1 + 6) / 2, "bottom": (3 + 6) / 2, "left": (2 + 5) / 2, "right": (2 + 5) / 2}


def test_the_script_runs_the_study_and_the_lab_on_the_course_cnn(fake_mnist, trained_cnn, monkeypatch, capsys):
    import functools

    import run_shifted_conv_experiment as script
    from lib.studies import equivariance_lab
    monkeypatch.setattr(script, "run_equivariance_lab",
                        functools.partial(equivariance_lab.run_equivariance_lab, sweep_images=2))
    for name, module in (("run_shifted_conv_experiment", experiments), ("with_course_models", shift_study)):
        # one epoch per model: this checks the wiring, not the accuracies
        monkeypatch.setattr(script, name, functools.partial(getattr(module, name), num_epochs=1))
    monkeypatch.setattr(sys, "argv", ["run_shifted_conv_experiment.py", "--max_datapoints", "100", "--study",
                                      "--equivariance"])
    script.main()
    out = capsys.readouterr().out
    assert "Shift study: training CNN\n" not in out  # the course CNN is loaded, not trained again
    assert "Shift study: training MLP\n" not in out  # the course MLP is the one the comparison just trained
    assert out.count("Training set size will be reduced to 100") == 1  # the data is loaded once
    with open("results/shift_study.csv", newline="") as f:
        study = list(csv.DictReader(f))
    with open("results/consistency.csv", newline="") as f:
        lab = list(csv.DictReader(f))
    study_models = list(dict.fromkeys(r["model"] for r in study))
    assert len(study_models) == 9
    assert [r["model"] for r in lab] == ["CNN"] + [name for name in study_models if name != "CNN"]
    course = next(float(r["val_accuracy"]) for r in study if r["model"] == "CNN" and r["shift"] == "0")
    assert float(lab[0]["clean_accuracy"]) == course  # the same model in both files
    mlp = next(float(r["val_accuracy"]) for r in study if r["model"] == "MLP" and r["shift"] == "0")
    compared = next(line for line in out.splitlines() if line.startswith("Accuracy on data using an MLP"))
    assert f"{float(compared.split(':  ')[1]):.4f}" == f"{mlp:.4f}"  # the study's MLP is the one compared
    for name in ("equivariance.csv", "equivariance.png", "feature_maps.png", "filters.png", "confusion_matrix.png",
                 "misclassified.png", "shift_study.png"):
        assert Path("results", name).stat().st_size > 0, name


# ---------------------------------------------------------------- which images and model each accuracy is on

def _accuracy_by_hand(model, x, y):
    """The share of images whose largest output is at the label's one, computed without `lib.model_evaluation`."""
    scores = model.eval()(np.asarray(x, dtype=np.float64))
    return float(np.mean(np.argmax(scores, axis=1) == np.argmax(y, axis=1)))


def _shifted_by_hand(x, shift):
    """x moved `shift` pixels right and down, zeros coming in: the course's np.pad formulation."""
    h, w = x.shape[2:]
    return np.pad(x, ((0, 0), (0, 0), (shift, 0), (shift, 0)))[:, :, :h, :w]


def test_each_accuracy_is_measured_on_its_own_images_with_its_own_model(fake_mnist, trained_cnn, capsys):
    comparison = run_shifted_conv_experiment(300, seed=0, num_epochs=6, progress=False,  # an MLP that has learned
                                             return_comparison=True)
    x_val, y_val = fake_mnist[1][:300], fake_mnist[3][:300]
    shifted = _shifted_by_hand(x_val, 2)
    for saved, loaded in zip(load_conv_model().parameters(), comparison.cnn.parameters()):
        np.testing.assert_array_equal(saved.data, loaded.data)  # the CNN is the one the first experiment saved
    expected = {"mlp_val": _accuracy_by_hand(comparison.mlp, x_val.reshape(len(x_val), -1), y_val),
                "mlp_val_shifted": _accuracy_by_hand(comparison.mlp, shifted.reshape(len(x_val), -1), y_val),
                "cnn_val": _accuracy_by_hand(comparison.cnn, x_val, y_val),
                "cnn_val_shifted": _accuracy_by_hand(comparison.cnn, shifted, y_val)}
    assert comparison.accuracies == expected
    # shifted and unshifted differ for each model, and the models differ on each set of images, so that
    # measuring an accuracy on the other images or with the other model would show
    assert expected["mlp_val"] != expected["mlp_val_shifted"] and expected["cnn_val"] != expected["cnn_val_shifted"]
    assert expected["mlp_val"] != expected["cnn_val"] and expected["mlp_val_shifted"] != expected["cnn_val_shifted"]
    out = capsys.readouterr().out
    assert "Reload convolutional model from disk." in out and "Train the convolutional model now." not in out
    printed = [line for line in out.splitlines() if line.startswith("Accuracy on")]
    assert printed == [f"Accuracy on data using an MLP:  {expected['mlp_val']}",
                       f"Accuracy on shifted data using an MLP:  {expected['mlp_val_shifted']}",
                       f"Accuracy on data using convolutional model:  {expected['cnn_val']}",
                       f"Accuracy on shifted data using convolutional model:  {expected['cnn_val_shifted']}"]


def test_the_json_file_holds_the_accuracies_the_comparison_measures(fake_mnist, trained_cnn):
    run_shifted_conv_experiment(300, seed=0, num_epochs=2, progress=False, json_path=Path("acc.json"), command="c")
    # the same seed: the same models
    again = run_shifted_conv_experiment(300, seed=0, num_epochs=2, progress=False, return_comparison=True)
    assert json.loads(Path("acc.json").read_text()) == dict(again.accuracies, command="c")
    x_val, y_val = fake_mnist[1][:300], fake_mnist[3][:300]
    assert again.accuracies["cnn_val_shifted"] == _accuracy_by_hand(again.cnn, _shifted_by_hand(x_val, 2), y_val)


def test_the_second_experiment_passes_its_arguments_on_and_writes_what_it_measured(fake_mnist, monkeypatch, tmp_path):
    """seed, dtype, num_epochs and progress reach the CNN trained here; the MLP gets the sheet's recipe, num_epochs."""
    cnn_calls, mlp_calls = [], []
    real_train_conv_model, real_train = experiments.train_conv_model, experiments.train

    def train_conv_model(data, *args):
        cnn_calls.append(args)
        return real_train_conv_model(data, *args)

    def train(model, loss_fn, optimizer, x_train, y_train, x_val, y_val, num_epochs, batch_size, **kwargs):
        mlp_calls.append((num_epochs, batch_size, optimizer.lr, optimizer.momentum, kwargs))
        return real_train(model, loss_fn, optimizer, x_train, y_train, x_val, y_val, num_epochs, batch_size, **kwargs)

    monkeypatch.setattr(experiments, "train_conv_model", train_conv_model)
    monkeypatch.setattr(experiments, "train", train)
    assert run_shifted_conv_experiment(100, 4, np.float32, True, 2, False, json_path=tmp_path / "a.json") is None
    assert cnn_calls == [(4, np.float32, 2, False)] and mlp_calls == [(2, 50, 0.05, 0.9, {})]
    comparison = run_shifted_conv_experiment(100, 4, np.float32, True, 2, False, return_comparison=True)
    assert read_accuracies(tmp_path / "a.json") == dict(comparison.accuracies, command="")  # the same seed
    assert all(p.data.dtype == np.float32 for p in comparison.cnn.parameters())
    run_shifted_conv_experiment(100, num_epochs=1, json_path=tmp_path / "b.json", command="python x.py")
    assert mlp_calls[-1][0] == 1 and len(cnn_calls) == 2  # loads the CNN saved above
    assert read_accuracies(tmp_path / "b.json")["command"] == "python x.py"


def test_the_json_file_is_indented_by_two_and_ends_with_a_newline(tmp_path):
    path = write_accuracies(tmp_path / "acc.json", {"mlp_val": 0.5, "cnn_val": 0.25}, "python x.py")
    expected = '{\n  "mlp_val": 0.5,\n  "cnn_val": 0.25,\n  "command": "python x.py"\n}\n'
    assert path.read_text(encoding="utf-8") == expected


def test_the_comparison_defaults_to_10000_images_and_loading_the_cnn(fake_mnist, capsys):
    with pytest.raises(MissingModelError):  # the default loads the CNN, which the first experiment has not saved
        run_shifted_conv_experiment()
    assert capsys.readouterr().out == ""  # it fails before loading the data
    save_model(create_conv_model(), Path("results", "conv_model.npz"))
    run_shifted_conv_experiment(num_epochs=1, progress=False)
    out = capsys.readouterr().out
    assert out.startswith("Training set size will be reduced to 10000\n")
    assert "Reload convolutional model from disk." in out.splitlines()


def test_load_conv_model_names_the_missing_file(tmp_path):
    with pytest.raises(MissingModelError) as error:
        load_conv_model(tmp_path / "none.npz")
    assert error.value.path == tmp_path / "none.npz"


def test_the_second_experiment_trains_a_cnn_in_the_dtype_and_with_the_progress_display_asked_for(fake_mnist, capsys):
    comparison = run_shifted_conv_experiment(100, seed=0, dtype=np.float32, train_cnn=True, num_epochs=1,
                                             progress=True, return_comparison=True)
    assert all(p.data.dtype == np.float32 for p in comparison.cnn.parameters())
    assert "\r  batch 2/2  loss " in capsys.readouterr().err  # 100 images, batches of 50
    run_shifted_conv_experiment(100, seed=0, train_cnn=True, num_epochs=1, progress=False)
    assert capsys.readouterr().err == ""


def test_the_first_experiment_passes_its_arguments_on_and_saves_and_plots_what_it_trained(fake_mnist, monkeypatch,
                                                                                          tmp_path, capsys):
    trained, plots = [], []
    model, results = create_conv_model(), tuple(np.arange(k, k + 2.0) for k in range(4))

    def train(data, *args):
        trained.append((data, args))
        return model, results

    monkeypatch.setattr(experiments, "train_conv_model", train)
    monkeypatch.setattr(experiments, "plot_training_results", lambda *args, **kwargs: plots.append((args, kwargs)))
    assert run_conv_experiment() is results
    assert capsys.readouterr().out == "Training set size will be reduced to 10000\n"
    assert trained[0][1] == (None, np.float64, experiments.NUM_EPOCHS, None) and plots == []  # the defaults
    assert Path("results", "conv_model.npz").is_file()
    run_conv_experiment(100, 5, np.float32, 3, True, plot_curves=True, show=False, out_dir=tmp_path / "out")
    x_train, x_val, y_train, y_val = fake_mnist
    for given, expected in zip(trained[1][0], (x_train[:100], y_train[:100], x_val[:100], y_val[:100])):
        np.testing.assert_array_equal(given, expected)
    assert trained[1][1] == (5, np.float32, 3, True)
    assert type(plots[0][0][1]) is int  # the number of batches
    assert plots == [((results, 2, tmp_path / "out" / "conv_learning_curves.png", False),  # 100 / 50 batches
                      {"title": "Course CNN on MNIST: mean loss per batch of 50 (left), accuracy (right)"})]
    for saved, kept in zip(load_conv_model(tmp_path / "out" / "conv_model.npz").parameters(), model.parameters()):
        np.testing.assert_array_equal(saved.data, kept.data)
