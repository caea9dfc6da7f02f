"""The course's two MNIST experiments: train the small CNN, then compare it with an MLP on shifted images.

The course's file: `create_conv_model`, the MLP part of `run_shifted_conv_experiment` and `shift_data` are
the exercise's gaps (between `# START TODO` and `# END TODO`; solved here, to be filled in the students'
copy). `run_conv_experiment` trains the course CNN and saves it; `run_shifted_conv_experiment` trains the
course MLP, reloads that CNN and prints the accuracy of both on the validation images and on them moved
2 pixels right and down.

Random draws: the course's layers initialise from the global `np.random` stream and `train` shuffles with
it, so a `seed` is set with `np.random.seed` right before the model is built (None leaves the stream alone).

The course pickled the trained model to `results/conv_model.pkl`; this module saves its parameters
with `np.savez` to `results/conv_model.npz` instead and loads them with `allow_pickle=False`.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, NamedTuple, Optional, Tuple

import numpy as np

# The course's names, imported into this namespace as the course's file does (tests replace
# `load_mnist_data`, `plot_data`, `train`, ... here; the experiments look them up here on every call).
from lib.activations import ReLU
from lib.convolutions import Conv2d, Flatten
from lib.dataset_mnist import load_mnist_data
from lib.losses import CrossEntropyLoss
from lib.model_evaluation import evaluate
from lib.model_training import BATCH_SIZE, CONV_LR, MOMENTUM, NUM_EPOCHS, Results, fit, train
from lib.network import Linear, Sequential
from lib.network_base import Module
from lib.optimizers import SGD
from lib.plot_images import plot_data

from lib.checks import check_int, check_positive_int
from lib.model_files import rebuild_and_load, save_model
from lib.plotting.curves import plot_training_results
from lib.plotting.figures import default_png_path
from lib.utilities import RESULTS_DIR, LibraryError, PathLike, atomic_write_text

RESULTS_FILE = "conv_model.npz"  # the course's "conv_model.pkl", saved without pickle
CURVES_FILE = "conv_learning_curves.png"
SAMPLES_TITLE = "Validation and shifted validation data."
SHIFTED_SAMPLES_FILE = default_png_path(SAMPLES_TITLE).name  # where plot_data saves the samples
SHIFT = 2  # pixels, right and down, in the second experiment (the sheet's other numbers: lib.model_training)

MISSING_MODEL_MESSAGE = "Run the first experiment before you run the second experiment."


class MissingModelError(LibraryError, RuntimeError):
    """The second experiment needs the CNN that the first one saves, and it is not there (a `RuntimeError`
    with the course's message, as the course raises it)."""

    def __init__(self, path: Path):
        super().__init__(MISSING_MODEL_MESSAGE)
        self.path = path


def create_conv_model() -> Module:
    """Build the course's CNN: two 4x4 convolutions with stride 2 and padding 1, then a linear layer.

    28x28 -> 14x14 (5 maps) -> 7x7 (10 maps) -> 490 features -> 10 scores.

    Returns:
        The model, a `Sequential` whose parameters have the shapes (5, 1, 4, 4), (5, 1, 1), (10, 5, 4, 4),
        (10, 1, 1), (490, 10), (10,).
    """
    # the model's hyperparameters (the sheet's)
    kernel_size = (4, 4)
    stride = (2, 2)
    padding = (1, 1)
    n_filters_conv1 = 5
    n_filters_conv2 = 10

    # START TODO ################
    # Build the 3-layer CNN as a Sequential: a convolution from the 1 input channel to n_filters_conv1 maps,
    # ReLU, a convolution to n_filters_conv2 maps, ReLU, Flatten, and a linear layer to the 10 classes.
    # Every convolution uses kernel_size, stride and padding; work out the linear layer's input size (each of
    # these convolutions halves the height and width of a 28x28 image).
    model = Sequential(
        Conv2d(1, n_filters_conv1, kernel_size, stride, padding), ReLU(),  # (N, 5, 14, 14)
        Conv2d(n_filters_conv1, n_filters_conv2, kernel_size, stride, padding), ReLU(),  # (N, 10, 7, 7)
        Flatten(),  # (N, 490)
        Linear(n_filters_conv2 * 7 * 7, 10))  # (N, 10)
    # END TODO ################
    return model


def load_mnist_data_subset(max_datapoints: int) -> Tuple[np.ndarray, ...]:
    """Load MNIST and keep the first `max_datapoints` samples of each of the six arrays.

    Args:
        max_datapoints: number of samples to keep per split (the full splits hold 50000/10000/10000).

    Returns:
        `(x_train, x_val, x_test, y_train, y_val, y_test)`, each cut to `[:max_datapoints]`.
    """
    max_datapoints = check_positive_int(max_datapoints, "max_datapoints")
    print(f"Training set size will be reduced to {max_datapoints}")
    return tuple(array[:max_datapoints] for array in load_mnist_data())


def train_conv_model(data: Tuple[np.ndarray, ...], seed: Optional[int] = None, dtype=np.float64,
                     num_epochs: int = NUM_EPOCHS, progress: Optional[bool] = None) -> Tuple[Module, Results]:
    """Seed (if asked), build and train the course CNN on `(x_train, y_train, x_val, y_val)`.

    Returns `(model, results)`, results being `train`'s four curves.
    """
    if seed is not None:
        np.random.seed(seed)
    model = create_conv_model()
    return model, fit(model, CONV_LR, data, dtype, num_epochs, BATCH_SIZE, MOMENTUM, progress)


def run_conv_experiment(max_datapoints: int = 10000, seed: Optional[int] = None, dtype=np.float64,
                        num_epochs: int = NUM_EPOCHS, progress: Optional[bool] = None, plot_curves: bool = False,
                        show: Optional[bool] = None, out_dir: Optional[Path] = None) -> Results:
    """Train the course CNN on the first `max_datapoints` images and save it to `<out_dir>/conv_model.npz`.

    10 epochs, batch 50, SGD with lr 0.01 and momentum 0.9, cross-entropy, evaluation on the
    validation subset after every epoch (the sheet expects about 96% after epoch 10).

    Args:
        max_datapoints: training and validation images used (default 10000, at most 50000).
        seed: seed of the global random stream set before the model is built; None leaves it alone.
        dtype: np.float64 (the course) or np.float32 (faster).
        num_epochs: passes over the training data.
        progress: progress display inside each epoch (None: only on a terminal).
        plot_curves: also save the learning curves as `<out_dir>/conv_learning_curves.png`; both losses
            are shown as the mean loss per batch (`train` sums the validation loss over batches).
        show: show the curves in a window (None: only where a display exists).
        out_dir: the folder the model (and the curves) are written to; None: `RESULTS_DIR`.

    Returns:
        `(train_costs, train_accuracies, eval_costs, eval_accuracies)`, each of shape (num_epochs,).
    """
    out_dir = Path(RESULTS_DIR if out_dir is None else out_dir)
    x_train, x_val, _, y_train, y_val, _ = load_mnist_data_subset(max_datapoints)
    model, results = train_conv_model((x_train, y_train, x_val, y_val), seed, dtype, num_epochs, progress)
    save_model(model, out_dir / RESULTS_FILE)
    if plot_curves:
        plot_training_results(results, len(x_val) // BATCH_SIZE, out_dir / CURVES_FILE, show,
                              title="Course CNN on MNIST: mean loss per batch of 50 (left), accuracy (right)")
    return results


def load_conv_model(path: Optional[Path] = None) -> Module:
    """Rebuild the course CNN and load the parameters the first experiment saved, in evaluation mode.

    Building the layers draws initial weights; the global random state is restored afterwards, so a
    reload leaves `np.random` exactly as the course's unpickling did.

    Args:
        path: the `.npz` file; default `RESULTS_DIR / RESULTS_FILE`.

    Raises:
        MissingModelError: (a RuntimeError) if the file does not exist.
    """
    path = RESULTS_DIR / RESULTS_FILE if path is None else Path(path)
    if not path.is_file():
        raise MissingModelError(path)
    return rebuild_and_load(create_conv_model, path)


class ShiftedComparison(NamedTuple):
    """The second experiment's accuracies {"mlp_val", "mlp_val_shifted", "cnn_val", "cnn_val_shifted"}, its MLP
    (of (N, 784) rows) and CNN, and the unshifted `(x_train, y_train, x_val, y_val)` they saw."""
    accuracies: Dict[str, float]
    mlp: Module
    cnn: Module
    data: Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def run_shifted_conv_experiment(max_datapoints: int = 10000, seed: Optional[int] = None, dtype=np.float64,
                                train_cnn: bool = False, num_epochs: int = NUM_EPOCHS, progress: Optional[bool] = None,
                                json_path: Optional[Path] = None, command: str = "",
                                return_comparison: bool = False) -> Optional[ShiftedComparison]:
    """The course's second experiment: MLP vs. CNN on validation images shifted 2 pixels right and down.

    Plots 4 validation images above their shifted copies (`plot_data` saves them under results/), trains
    the MLP on the unshifted data, reloads (or, with `train_cnn`, trains and saves) the CNN, and prints
    the accuracy of both models on the validation images and on them shifted.

    Args:
        max_datapoints: training and validation images used.
        seed: seed of the global random stream set before the MLP (and before a CNN trained here) is
            built; None leaves the stream alone.
        dtype: float dtype of a CNN trained here (the MLP and a loaded CNN compute in float64).
        train_cnn: train the CNN now (as `run_conv_experiment` with the same arguments would) instead of
            loading it.
        num_epochs: passes over the training data for every model trained here.
        progress: progress display inside each epoch of a CNN trained here (None: only on a terminal).
        json_path: if given, also write the four accuracies and `command` to this JSON file (atomically).
        command: the command line that ran the experiment, recorded in the JSON file.
        return_comparison: return the accuracies, both models and the data (the shift study goes on with
            them); by default None is returned, as in the course.

    Returns:
        None, or with `return_comparison` a `ShiftedComparison`.

    Raises:
        MissingModelError: (a RuntimeError) if the CNN is to be loaded and `results/conv_model.npz` does not
            exist (checked before anything is trained).
    """
    loss_fn = CrossEntropyLoss()
    if not train_cnn and not (RESULTS_DIR / RESULTS_FILE).is_file():  # fail now, not after the MLP's training
        raise MissingModelError(RESULTS_DIR / RESULTS_FILE)

    # load the data and shift the validation images
    x_train, x_val, x_test, y_train, y_val, y_test = load_mnist_data_subset(max_datapoints)
    shift = SHIFT
    x_val_shifted = shift_data(x_val, shift)
    plot_data(np.concatenate((x_val[:4], x_val_shifted[:4])), rows=2, cols=4, plot_border=True, title=SAMPLES_TITLE)

    # the MLP's training hyperparameters (the sheet's; num_epochs is the argument, 10 by default)
    batch_size = 50
    learning_rate = 0.05
    momentum = 0.9
    linear_units = 30
    if seed is not None:
        np.random.seed(seed)
    # START TODO ################
    # Train a 2-layer MLP with these hyperparameters: a linear layer from the 28*28 pixels to linear_units,
    # ReLU, and a linear layer to the 10 classes. An MLP takes every image as one row of 784 pixels: reshape
    # the training, validation and shifted validation images into x_train_mlp, x_val_mlp, x_val_shifted_mlp.
    # Train with SGD (learning_rate, momentum) on the unshifted training rows, and validate during training on
    # the unshifted validation rows, to see that the model learns.
    x_train_mlp = x_train.reshape(len(x_train), -1)  # (N, 784)
    x_val_mlp = x_val.reshape(len(x_val), -1)
    x_val_shifted_mlp = x_val_shifted.reshape(len(x_val_shifted), -1)
    mlp_model = Sequential(Linear(28 * 28, linear_units), ReLU(), Linear(linear_units, 10))
    optimizer = SGD(mlp_model.parameters(), lr=learning_rate, momentum=momentum)
    train(mlp_model, loss_fn, optimizer, x_train_mlp, y_train, x_val_mlp, y_val, num_epochs, batch_size)
    # END TODO ################

    if train_cnn:
        print("Train the convolutional model now.")
        conv_model, _ = train_conv_model((x_train, y_train, x_val, y_val), seed, dtype, num_epochs, progress)
        save_model(conv_model, RESULTS_DIR / RESULTS_FILE)
    else:
        print("Reload convolutional model from disk.")
        conv_model = load_conv_model()

    accuracies = {}
    for key, label, model, x in (
            ("mlp_val", "Accuracy on data using an MLP", mlp_model, x_val_mlp),
            ("mlp_val_shifted", "Accuracy on shifted data using an MLP", mlp_model, x_val_shifted_mlp),
            ("cnn_val", "Accuracy on data using convolutional model", conv_model, x_val),
            ("cnn_val_shifted", "Accuracy on shifted data using convolutional model", conv_model, x_val_shifted)):
        accuracies[key] = evaluate(x, y_val, model, loss_fn, batch_size)[0]
        print(f"{label}: ", accuracies[key])
    if json_path is not None:
        write_accuracies(json_path, accuracies, command)
    if return_comparison:
        return ShiftedComparison(accuracies, mlp_model, conv_model, (x_train, y_train, x_val, y_val))
    return None


def shift_data(original_data: np.ndarray, shift: int) -> np.ndarray:
    """Move every image `shift` pixels right and down, filling with zeros and keeping the shape.

    Args:
        original_data: (N, C, H, W) images.
        shift: non-negative number of pixels; 0 returns an equal copy, `shift >= H` (or W) all zeros.

    Returns:
        The shifted images, a new array of the same shape and dtype.

    Raises:
        ValueError: if the data is not 4-D or the shift is negative.
        TypeError: if the shift is not an int.
    """
    original_data = np.asarray(original_data)
    if original_data.ndim != 4:
        raise ValueError(f"x.shape should be (dataset_size, channel_size, width, height) but is {original_data.shape}")
    if check_int(shift, "shift") < 0:
        raise ValueError(f"shift must be >= 0 (pixels right and down), got {shift}")
    shift = int(shift)
    # START TODO ################
    # Move the content of every image `shift` pixels to the right and `shift` pixels down: the rows and columns
    # that become free are zeros, what moves past the border is lost, and the shape stays the same.
    # Leave original_data itself unchanged. Hint: np.pad and slicing.
    height, width = original_data.shape[2:]
    padded = np.pad(original_data, ((0, 0), (0, 0), (shift, 0), (shift, 0)))  # zeros above and to the left
    shifted_data = padded[:, :, :height, :width]
    # END TODO ################
    return shifted_data


def write_accuracies(path: PathLike, accuracies: Dict[str, float], command: str) -> Path:
    """Write the four accuracies (`ShiftedComparison.accuracies`) and the command line that measured them to a
    JSON file, atomically (parent folders are created); return the destination as a Path."""
    return atomic_write_text(path, json.dumps(dict(accuracies, command=command), indent=2) + "\n")


def read_accuracies(path: PathLike) -> Dict[str, object]:
    """The JSON file `write_accuracies` wrote: the four accuracies (floats) and "command" (a str)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)
