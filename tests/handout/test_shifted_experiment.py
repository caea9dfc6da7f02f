"""Tests of the shifted experiment: `shift_data`, and the MLP part of `run_shifted_conv_experiment`.

The experiment runs for real, once for all the MLP tests, on 100 small random "images", with the helpers
it uses replaced in lib.experiments: `load_mnist_data` returns the random data, `plot_data` draws nothing,
`shift_data` returns `1 - images` (so each test can tell which images a model saw, whatever state
`shift_data`'s own gap is in), `load_conv_model` returns a small stand-in for the CNN, and `train`, `SGD`
and `evaluate` are the real ones, recorded. It runs in a temporary folder, so nothing is written into the
repository.
"""
import contextlib
import inspect
import io

import numpy as np
import pytest

import lib.experiments
import lib.model_training
import lib.optimizers
from lib.activations import ReLU
from lib.convolutions import Flatten
from lib.experiments import run_shifted_conv_experiment, shift_data
from lib.losses import CrossEntropyLoss
from lib.network import Linear, Sequential

SHIFT_DATA = pytest.mark.gap("shift_data")
SHIFTED_MLP = pytest.mark.gap("shifted_mlp")

N_TRAIN, N_VAL, N_TEST = 100, 100, 50


# ------------------------------------------------------------------ shift_data: the course's tests
@SHIFT_DATA
@pytest.mark.course
def test_course_black_and_white_images_shift():
    X = np.arange(18).reshape(2, 1, 3, 3)
    shift_output = shift_data(X, 1)
    X_expected = np.array(
        [[[[0, 0, 0],
           [0, 0, 1],
           [0, 3, 4]]],

         [[[0, 0, 0],
           [0, 9, 10],
           [0, 12, 13]]]]
    )
    np.testing.assert_equal(shift_output, X_expected, err_msg="shift_data() not implemented correctly")


@SHIFT_DATA
@pytest.mark.course
def test_course_color_images_shift():
    X = np.arange(96).reshape(2, 3, 4, 4)
    shift_output = shift_data(X, 2)
    X_expected = np.array(
        [[[[0, 0, 0, 0],
           [0, 0, 0, 0],
           [0, 0, 0, 1],
           [0, 0, 4, 5]],
          [[0, 0, 0, 0],
           [0, 0, 0, 0],
           [0, 0, 16, 17],
           [0, 0, 20, 21]],
          [[0, 0, 0, 0],
           [0, 0, 0, 0],
           [0, 0, 32, 33],
           [0, 0, 36, 37]]],
         [[[0, 0, 0, 0],
           [0, 0, 0, 0],
           [0, 0, 48, 49],
           [0, 0, 52, 53]],
          [[0, 0, 0, 0],
           [0, 0, 0, 0],
           [0, 0, 64, 65],
           [0, 0, 68, 69]],
          [[0, 0, 0, 0],
           [0, 0, 0, 0],
           [0, 0, 80, 81],
           [0, 0, 84, 85]]]]
    )
    np.testing.assert_equal(shift_output, X_expected, err_msg="shift_data() not implemented correctly")


# ------------------------------------------------------------------ shift_data: more cases
@SHIFT_DATA
def test_shift_0_gives_the_images_unchanged():
    x = np.random.default_rng(0).random((3, 2, 4, 5))
    copy = x.copy()
    try:
        shifted = shift_data(x, 0)
    except Exception as error:  # raised by the code under test: point at the usual cause
        raise AssertionError(f"shift_data(x, 0) raised {type(error).__name__}: {error}. With shift 0, a slice "
                             f"such as x[:, :, :-shift] is x[:, :, :0], which is empty; x[:, :, :H - shift] is "
                             f"not") from error
    assert np.shape(shifted) == x.shape, f"shift 0 must keep the shape {x.shape}, got {np.shape(shifted)}"
    np.testing.assert_array_equal(shifted, copy, err_msg=(
        "shift 0 moves nothing: the result must equal the images (does a slice like x[:, :, :-shift] turn empty "
        "for shift 0, or are float values cut to integers?)"))
    np.testing.assert_array_equal(x, copy, err_msg="shift_data(x, 0) changed x itself")


@SHIFT_DATA
def test_shift_data_leaves_the_callers_images_unchanged():
    x = np.arange(2 * 1 * 4 * 5, dtype=float).reshape(2, 1, 4, 5)
    copy = x.copy()
    shift_data(x, 2)
    np.testing.assert_array_equal(x, copy, err_msg=(
        "shift_data changed the images it was given; the caller still needs them (the experiment evaluates on the "
        "original and on the shifted validation images): build the shifted images in a new array"))


@SHIFT_DATA
def test_shift_of_images_wider_than_high():
    x = np.arange(15).reshape(1, 1, 3, 5)  # [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11, 12, 13, 14]]
    shifted = shift_data(x, 1)
    assert np.shape(shifted) == (1, 1, 3, 5), f"the shape must stay (1, 1, 3, 5), got {np.shape(shifted)}"
    np.testing.assert_array_equal(shifted, [[[[0, 0, 0, 0, 0],
                                              [0, 0, 1, 2, 3],
                                              [0, 5, 6, 7, 8]]]], err_msg=(
        "a 3x5 image shifted by 1: one zero row on top, one zero column on the left, the last row and column "
        "drop out (are height and width swapped?)"))


@SHIFT_DATA
def test_shift_of_images_higher_than_wide():
    x = np.arange(12).reshape(1, 1, 4, 3)  # [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]
    shifted = shift_data(x, 2)
    assert np.shape(shifted) == (1, 1, 4, 3), f"the shape must stay (1, 1, 4, 3), got {np.shape(shifted)}"
    np.testing.assert_array_equal(shifted, [[[[0, 0, 0],
                                              [0, 0, 0],
                                              [0, 0, 0],
                                              [0, 0, 3]]]], err_msg=(
        "a 4x3 image shifted by 2: two zero rows on top, two zero columns on the left"))


@SHIFT_DATA
@pytest.mark.parametrize("shift", [4, 6])
def test_a_shift_as_large_as_the_image_or_larger_leaves_only_zeros(shift):
    x = np.arange(1, 13, dtype=float).reshape(1, 1, 4, 3)
    try:
        shifted = shift_data(x, shift)
    except Exception as error:  # raised by the code under test: point at the usual cause
        raise AssertionError(f"shift_data(x, {shift}) of 4x3 images raised {type(error).__name__}: {error}. A shift "
                             f"of at least the height or width moves everything out of the image (a slice such as "
                             f"x[:, :, :H - shift] has a negative end when shift > H)") from error
    assert np.shape(shifted) == (1, 1, 4, 3), f"the shape must stay (1, 1, 4, 3), got {np.shape(shifted)}"
    assert np.all(shifted == 0), (
        f"shifted by {shift}, the content of a 4x3 image moves out of it completely: only zeros remain")


@SHIFT_DATA
def test_shift_moves_right_and_down_without_wrapping_around():
    x = np.ones((1, 1, 3, 3))
    shifted = shift_data(x, 1)
    np.testing.assert_array_equal(shifted, [[[[0, 0, 0], [0, 1, 1], [0, 1, 1]]]], err_msg=(
        "shifting an image of ones by 1 right and down leaves zeros in the top row and the left column: what moves "
        "past the bottom and right border is dropped, not wrapped around to the top and left (as np.roll does)"))


@SHIFT_DATA
def test_shift_keeps_float_values():
    x = np.random.default_rng(1).random((2, 1, 5, 6))
    shifted = shift_data(x, 2)
    assert np.shape(shifted) == x.shape, f"the shape must stay {x.shape}, got {np.shape(shifted)}"
    np.testing.assert_array_equal(shifted[:, :, 2:, 2:], x[:, :, :3, :4], err_msg=(
        "shifted by 2, pixel (r, c) must move to (r + 2, c + 2) with its value unchanged (float images stay floats)"))
    assert np.all(shifted[:, :, :2, :] == 0) and np.all(shifted[:, :, :, :2] == 0), (
        "shifted by 2, the top two rows and the left two columns must be zeros")


@SHIFT_DATA
def test_shift_of_a_single_image_with_three_channels():
    x = np.stack([np.full((3, 3), 1.0), np.full((3, 3), 2.0), np.full((3, 3), 3.0)])[np.newaxis]  # (1, 3, 3, 3)
    shifted = shift_data(x, 2)
    expected = np.zeros((1, 3, 3, 3))
    expected[0, :, 2, 2] = [1.0, 2.0, 3.0]
    np.testing.assert_array_equal(shifted, expected, err_msg=(
        "every channel of every image is shifted the same way: only pixel (0, 0) of each channel stays visible, "
        "at (2, 2)"))


# ------------------------------------------------------------------ the MLP part of run_shifted_conv_experiment
class Recorded:
    """What the experiment did: the data it got, and its calls of train, SGD and evaluate."""

    def __init__(self):
        self.data = None
        self.train_calls = []  # the arguments of each call, by parameter name
        self.optimizers = []  # (arguments by parameter name, the optimizer) per SGD(...) call
        self.evaluate_calls = []  # (arguments by parameter name, what evaluate returned)
        self.cnn = None
        self.output = ""


def fake_mnist():
    """Random "images" in [0, 1) and one-hot labels: (x_train, x_val, x_test, y_train, y_val, y_test)."""
    rng = np.random.default_rng(20)
    images = [rng.random((n, 1, 28, 28)) for n in (N_TRAIN, N_VAL, N_TEST)]
    labels = [np.eye(10)[rng.integers(0, 10, n)] for n in (N_TRAIN, N_VAL, N_TEST)]
    return tuple(images + labels)


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    """Run run_shifted_conv_experiment() once with the stand-ins described above; return the Recorded."""
    folder = tmp_path_factory.mktemp("shifted_experiment")
    (folder / "results").mkdir()
    (folder / "results" / "conv_model.npz").write_bytes(b"")  # the first experiment's file (never read here)
    random_state = np.random.get_state()
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            monkeypatch.chdir(folder)
            return run_with_stand_ins(monkeypatch)
    finally:
        np.random.set_state(random_state)


def run_with_stand_ins(monkeypatch):
    record = Recorded()
    record.data = fake_mnist()
    monkeypatch.setattr(lib.experiments, "load_mnist_data", lambda *args, **kwargs: record.data)
    monkeypatch.setattr(lib.experiments, "plot_data", lambda *args, **kwargs: None)
    monkeypatch.setattr(lib.experiments, "shift_data", lambda original_data, shift: 1 - original_data)
    record.cnn = Sequential(Flatten(), Linear(28 * 28, 10))
    monkeypatch.setattr(lib.experiments, "load_conv_model", lambda *args, **kwargs: record.cnn)

    real_train = lib.experiments.train
    train_signature = inspect.signature(real_train)

    def recording_train(*args, **kwargs):
        bound = train_signature.bind(*args, **kwargs)
        bound.apply_defaults()
        record.train_calls.append(dict(bound.arguments))
        return real_train(*args, **kwargs)

    real_sgd = lib.experiments.SGD
    sgd_signature = inspect.signature(real_sgd)

    class RecordingSGD(real_sgd):
        def __init__(self, *args, **kwargs):
            bound = sgd_signature.bind(*args, **kwargs)
            bound.apply_defaults()
            bound.arguments["params"] = list(bound.arguments["params"])  # a generator would be used up
            record.optimizers.append((dict(bound.arguments), self))
            super().__init__(*bound.args, **bound.kwargs)

    real_evaluate = lib.experiments.evaluate
    evaluate_signature = inspect.signature(real_evaluate)

    def recording_evaluate(*args, **kwargs):
        bound = evaluate_signature.bind(*args, **kwargs)
        bound.apply_defaults()
        result = real_evaluate(*args, **kwargs)
        record.evaluate_calls.append((dict(bound.arguments), result))
        return result

    for module in (lib.experiments, lib.model_training):
        monkeypatch.setattr(module, "train", recording_train)
    for module in (lib.experiments, lib.optimizers):
        monkeypatch.setattr(module, "SGD", RecordingSGD)
    monkeypatch.setattr(lib.experiments, "evaluate", recording_evaluate)

    np.random.seed(0)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        run_shifted_conv_experiment()
    record.output = output.getvalue()
    return record


def rows(images):
    return images.reshape(len(images), -1)


def name_of(array, data):
    """Which of the experiment's arrays `array` is, in a student's words (for the messages)."""
    x_train, x_val, x_test, y_train, y_val, y_test = data
    array = np.asarray(array)
    known = [("the training images as (N, 784) rows", rows(x_train)),
             ("the validation images as (N, 784) rows", rows(x_val)),
             ("the SHIFTED validation images as rows (shift_data's output)", rows(1 - x_val)),
             ("the SHIFTED training images as rows (shift_data's output)", rows(1 - x_train)),
             ("the test images as rows", rows(x_test)),
             ("the training images as (N, 1, 28, 28)", x_train), ("the validation images as (N, 1, 28, 28)", x_val),
             ("the shifted validation images as (N, 1, 28, 28)", 1 - x_val),
             ("y_train", y_train), ("y_val", y_val), ("y_test", y_test)]
    for name, candidate in known:
        if array.shape == candidate.shape and np.allclose(array, candidate):
            return name
    return f"an array of shape {array.shape} that is none of the experiment's data"


def train_call(record):
    """The arguments of the (first) train(...) call, the one that trains mlp_model."""
    assert record.train_calls, "the MLP part should train mlp_model with train(...), which it never called"
    return record.train_calls[0]


def assert_is(array, expected, expected_name, what, data):
    array = np.asarray(array)
    assert array.shape == expected.shape and np.allclose(array, expected), (
        f"{what} should be {expected_name}, but it is {name_of(array, data)}")


@SHIFTED_MLP
def test_train_is_called_once(experiment):
    calls = len(experiment.train_calls)
    assert calls == 1, f"the MLP part should call train(...) once, to train mlp_model; it was called {calls} times"


@SHIFTED_MLP
def test_the_mlp_is_784_to_30_relu_to_10(experiment):
    model = train_call(experiment)["model"]
    assert isinstance(model, Sequential), (
        f"mlp_model should be Sequential(Linear(784, 30), ReLU(), Linear(30, 10)), got {type(model).__name__}")
    layers = model.modules
    described = ", ".join(repr(layer) for layer in layers)
    assert [type(layer) for layer in layers] == [Linear, ReLU, Linear], (
        f"mlp_model should be Sequential(Linear(784, 30), ReLU(), Linear(30, 10)), got Sequential({described})")
    shapes = [tuple(p.data.shape) for p in model.parameters()]
    assert shapes == [(784, 30), (30,), (30, 10), (10,)], (
        f"mlp_model's layers should be Linear(28 * 28, linear_units) and Linear(linear_units, 10) with "
        f"linear_units = 30: W and b of shapes (784, 30), (30,), (30, 10), (10,); got {shapes}")


@SHIFTED_MLP
def test_the_optimizer_is_sgd_over_the_mlps_parameters(experiment):
    call = train_call(experiment)
    assert experiment.optimizers, "the MLP part should create its optimizer with SGD(...)"
    matching = [arguments for arguments, optimizer in experiment.optimizers if optimizer is call["optimizer"]]
    assert matching, "train(...) should get the SGD optimizer created for mlp_model"
    params, model_params = matching[0]["params"], list(call["model"].parameters())
    shared = len({id(p) for p in params} & {id(p) for p in model_params})
    assert len(params) == len(model_params) == shared, (
        f"SGD should get exactly mlp_model.parameters(), the {len(model_params)} parameters of the model that is "
        f"trained; it got {len(params)} parameters, {shared} of them mlp_model's")


@SHIFTED_MLP
def test_sgd_has_learning_rate_0_05_and_momentum_0_9(experiment):
    call = train_call(experiment)
    matching = [arguments for arguments, optimizer in experiment.optimizers if optimizer is call["optimizer"]]
    assert matching, "train(...) should get the SGD optimizer created for mlp_model"
    lr, momentum = matching[0]["lr"], matching[0]["momentum"]
    assert lr == pytest.approx(0.05), f"SGD's learning rate should be learning_rate = 0.05, got lr={lr}"
    assert momentum is not None and momentum == pytest.approx(0.9), (
        f"SGD's momentum should be momentum = 0.9, got momentum={momentum}")


@SHIFTED_MLP
def test_train_runs_10_epochs_of_batches_of_50(experiment):
    call = train_call(experiment)
    assert (call["num_epochs"], call["batch_size"]) == (10, 50), (
        f"train(...) should get num_epochs = 10 and batch_size = 50, got num_epochs={call['num_epochs']} and "
        f"batch_size={call['batch_size']}")


@SHIFTED_MLP
def test_train_gets_the_cross_entropy_loss(experiment):
    loss_fn = train_call(experiment)["loss_fn"]
    assert isinstance(loss_fn, CrossEntropyLoss), f"train(...) should get loss_fn (CrossEntropyLoss), got {loss_fn!r}"


@SHIFTED_MLP
def test_the_mlp_is_trained_on_the_unshifted_training_images_as_rows(experiment):
    call, data = train_call(experiment), experiment.data
    x_train, y_train = data[0], data[3]
    assert_is(call["x_train"], rows(x_train), "the training images as (N, 784) rows (x_train_mlp)",
              "train(...)'s training data x_train", data)
    assert_is(call["y_train"], y_train, "y_train", "train(...)'s training labels y_train", data)


@SHIFTED_MLP
def test_the_mlp_is_validated_on_the_unshifted_validation_images_as_rows(experiment):
    call, data = train_call(experiment), experiment.data
    x_val, y_val = data[1], data[4]
    assert_is(call["x_val"], rows(x_val), "the unshifted validation images as (N, 784) rows (x_val_mlp)",
              "train(...)'s validation data x_val", data)
    assert_is(call["y_val"], y_val, "y_val", "train(...)'s validation labels y_val", data)


def accuracy_calls(record):
    assert len(record.evaluate_calls) >= 4, (
        f"the experiment should evaluate four times after training (MLP and CNN, unshifted and shifted), got "
        f"{len(record.evaluate_calls)} calls of evaluate")
    return record.evaluate_calls[-4:]


@SHIFTED_MLP
def test_the_mlp_is_evaluated_on_the_validation_rows_and_on_the_shifted_validation_rows(experiment):
    data, mlp_model = experiment.data, train_call(experiment)["model"]
    x_val, y_val = data[1], data[4]
    (unshifted, _), (shifted, _) = accuracy_calls(experiment)[:2]
    for arguments, expected, expected_name, variable in (
            (unshifted, rows(x_val), "the validation images as (N, 784) rows", "x_val_mlp"),
            (shifted, rows(1 - x_val), "the SHIFTED validation images (x_val_shifted) as (N, 784) rows",
             "x_val_shifted_mlp")):
        assert arguments["model"] is mlp_model, "the MLP's accuracy should be measured on the trained mlp_model"
        assert_is(arguments["x_val"], expected, expected_name, variable, data)
        assert_is(arguments["y_val"], y_val, "y_val", "the labels of the MLP's evaluation", data)


@SHIFTED_MLP
def test_the_cnn_is_evaluated_on_the_validation_images_and_the_shifted_ones(experiment):
    """x_val and x_val_shifted must stay (N, 1, 28, 28) images for the CNN: the MLP's rows get new names."""
    data = experiment.data
    x_val = data[1]
    (unshifted, _), (shifted, _) = accuracy_calls(experiment)[2:]
    for arguments, expected, expected_name, variable in (
            (unshifted, x_val, "the validation images as (N, 1, 28, 28)", "x_val"),
            (shifted, 1 - x_val, "the shifted validation images as (N, 1, 28, 28)", "x_val_shifted")):
        assert arguments["model"] is experiment.cnn, "the last two accuracies should be the loaded CNN's"
        assert_is(arguments["x_val"], expected, expected_name,
                  f"{variable} (keep it as it is: store the MLP's rows in x_val_mlp, x_val_shifted_mlp)", data)


@SHIFTED_MLP
def test_the_four_accuracies_are_printed_in_order(experiment):
    labels = ["Accuracy on data using an MLP", "Accuracy on shifted data using an MLP",
              "Accuracy on data using convolutional model", "Accuracy on shifted data using convolutional model"]
    printed = [line for line in experiment.output.splitlines() if line.startswith("Accuracy on ")]
    measured = [result[0] for _, result in accuracy_calls(experiment)]
    assert printed == [f"{label}:  {value}" for label, value in zip(labels, measured)], (
        f"the experiment should end by printing the four accuracies {labels}; printed {printed}")
