"""The course's two MNIST experiments: train the small CNN, then compare it with an MLP on shifted images.

`run_conv_experiment` trains the course CNN (two strided 4x4 convolutions and a linear layer) and saves
it; `run_shifted_conv_experiment` trains the course MLP, reloads that CNN and prints the accuracy of
both on the validation images and on the same images moved 2 pixels right and down. The model
builders live in `lib/models.py`, image shifting in `lib/shifts.py`, and the study that goes beyond
the sheet (more shifts, more models) in `lib/studies/shift_study.py`.

Random draws: the course's layers initialise from the global `np.random` stream and `train` shuffles
with it, so a `seed` (when given) is set with `np.random.seed` right before the model is built.
`seed=None` leaves the stream alone, as the course's functions do.

The course pickled the trained model to `results/conv_model.pkl`; this module saves its parameters
with `np.savez` to `results/conv_model.npz` instead and loads them with `allow_pickle=False`.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, NamedTuple, Optional, Tuple

import numpy as np

# The course's names, imported into this namespace as the course's file does (tests replace
# `load_mnist_data` and `plot_data` here; the experiments look them up here on every call).
from lib.activations import ReLU
from lib.convolutions import Conv2d, Flatten
from lib.dataset_mnist import load_mnist_data
from lib.losses import CrossEntropyLoss
from lib.model_evaluation import accuracy_on, evaluate
from lib.model_training import BATCH_SIZE, MOMENTUM, NUM_EPOCHS, Results, fit, train
from lib.network import Linear, Sequential
from lib.network_base import Module
from lib.optimizers import SGD
from lib.plot_images import plot_data

from lib.checks import check_int, check_positive_int
from lib.models import CONV_LR, MLP_LR, create_conv_model, create_mlp, flatten_images, rebuild_and_load, save_model
from lib.plotting.curves import plot_training_results
from lib.plotting.figures import default_png_path
from lib.shifts import shift_images
from lib.utilities import RESULTS_DIR, LibraryError, PathLike, atomic_write_text

RESULTS_FILE = "conv_model.npz"  # the course's "conv_model.pkl", saved without pickle
CURVES_FILE = "conv_learning_curves.png"
SAMPLES_TITLE = "Validation and shifted validation data."
SHIFTED_SAMPLES_FILE = default_png_path(SAMPLES_TITLE).name  # where plot_data saves the samples
SHIFT = 2  # pixels, right and down, in the second experiment (the sheet's other numbers: NUM_EPOCHS, CONV_LR, ...)

MISSING_MODEL_MESSAGE = "Run the first experiment before you run the second experiment."


class MissingModelError(LibraryError, RuntimeError):
    """The second experiment needs the CNN that the first one saves, and it is not there.

    A `RuntimeError`, with the course's message, as the course raises it.
    """

    def __init__(self, path: Path):
        super().__init__(MISSING_MODEL_MESSAGE)
        self.path = path


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

    Returns:
        `(model, results)`, results being `train`'s four curves.
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
    """Rebuild the course CNN and load the parameters the first experiment saved.

    Building the layers draws initial weights; the global random state is restored afterwards, so a
    reload leaves `np.random` exactly as the course's unpickling did.

    Args:
        path: the `.npz` file; default `RESULTS_DIR / RESULTS_FILE`.

    Returns:
        The CNN with the saved parameters, in evaluation mode.

    Raises:
        MissingModelError: (a RuntimeError) if the file does not exist.
    """
    path = RESULTS_DIR / RESULTS_FILE if path is None else Path(path)
    if not path.is_file():
        raise MissingModelError(path)
    return rebuild_and_load(create_conv_model, path)


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
    return shift_images(original_data, int(shift), int(shift))


class ShiftedComparison(NamedTuple):
    """What the second experiment computed: its four accuracies, the two models and the data they saw.

    `accuracies`: {"mlp_val", "mlp_val_shifted", "cnn_val", "cnn_val_shifted"}; `mlp`: the course MLP
    (of (N, 784) rows); `cnn`: the course CNN; `data`: `(x_train, y_train, x_val, y_val)` with (N, 1, 28, 28)
    images and (N, 10) one-hot labels, unshifted.
    """
    accuracies: Dict[str, float]
    mlp: Module
    cnn: Module
    data: Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def compare_on_shifted_data(max_datapoints: int = 10000, seed: Optional[int] = None, dtype=np.float64,
                            train_cnn: bool = False, num_epochs: int = NUM_EPOCHS,
                            progress: Optional[bool] = None) -> ShiftedComparison:
    """The second experiment, returning its accuracies, models and data (`run_shifted_conv_experiment` prints them).

    Plots 4 validation images above their shifted copies (`plot_data` saves them under results/),
    trains the MLP on the unshifted data, reloads (or, with `train_cnn`, trains and saves) the CNN,
    and prints the accuracy of both models on the validation images and on them shifted 2 pixels
    right and down.

    Args:
        max_datapoints: training and validation images used.
        seed: seed of the global random stream set before the MLP (and before a CNN trained here)
            is built; None leaves the stream alone.
        dtype: float dtype of the computation.
        train_cnn: train the CNN now (as `run_conv_experiment` with the same arguments would) instead of loading it.
        num_epochs: passes over the training data for every model trained here.
        progress: progress display inside each epoch (None: only on a terminal).

    Returns:
        A `ShiftedComparison`: the four accuracies, the trained MLP and CNN, and the data (so that the
        shift study can go on with them instead of loading and training them again).

    Raises:
        MissingModelError: (a RuntimeError) if the CNN is to be loaded and `results/conv_model.npz` does not exist.
    """
    model_path = RESULTS_DIR / RESULTS_FILE
    if not train_cnn and not model_path.is_file():  # fail now, not after the MLP's training
        raise MissingModelError(model_path)
    x_train, x_val, _, y_train, y_val, _ = load_mnist_data_subset(max_datapoints)
    x_val_shifted = shift_data(x_val, SHIFT)
    plot_data(np.concatenate((x_val[:4], x_val_shifted[:4])), rows=2, cols=4, plot_border=True, title=SAMPLES_TITLE)

    if seed is not None:
        np.random.seed(seed)
    mlp = create_mlp()
    fit(mlp, MLP_LR, (flatten_images(x_train), y_train, flatten_images(x_val), y_val), dtype, num_epochs,
        BATCH_SIZE, MOMENTUM, progress)
    if train_cnn:
        print("Train the convolutional model now.")
        cnn, _ = train_conv_model((x_train, y_train, x_val, y_val), seed, dtype, num_epochs, progress)
        save_model(cnn, model_path)
    else:
        print("Reload convolutional model from disk.")
        cnn = load_conv_model(model_path)

    accuracies = {}
    for key, label, model, x in (
            ("mlp_val", "Accuracy on data using an MLP", mlp, flatten_images(x_val)),
            ("mlp_val_shifted", "Accuracy on shifted data using an MLP", mlp, flatten_images(x_val_shifted)),
            ("cnn_val", "Accuracy on data using convolutional model", cnn, x_val),
            ("cnn_val_shifted", "Accuracy on shifted data using convolutional model", cnn, x_val_shifted)):
        accuracies[key] = accuracy_on(model, x, y_val, BATCH_SIZE)
        print(f"{label}: ", accuracies[key])
    return ShiftedComparison(accuracies, mlp, cnn, (x_train, y_train, x_val, y_val))


def run_shifted_conv_experiment(max_datapoints: int = 10000, seed: Optional[int] = None, dtype=np.float64,
                                train_cnn: bool = False, num_epochs: int = NUM_EPOCHS,
                                progress: Optional[bool] = None, json_path: Optional[Path] = None,
                                command: str = "") -> None:
    """The course's second experiment: MLP vs. CNN on validation images shifted 2 pixels right and down.

    Runs `compare_on_shifted_data` (see there for the other arguments) and, as in the course, returns None.

    Args:
        json_path: if given, also write the four accuracies and `command` to this JSON file (atomically).
        command: the command line that ran the experiment, recorded in the JSON file.

    Raises:
        MissingModelError: (a RuntimeError) if the CNN is to be loaded and the first experiment has not saved it.
    """
    accuracies = compare_on_shifted_data(max_datapoints, seed, dtype, train_cnn, num_epochs, progress).accuracies
    if json_path is not None:
        write_accuracies(json_path, accuracies, command)


def write_accuracies(path: PathLike, accuracies: Dict[str, float], command: str) -> Path:
    """Write the four accuracies and the command line that measured them to a JSON file, atomically.

    Args:
        path: destination (`--json` of run_shifted_conv_experiment.py); its parent directories are created.
        accuracies: {"mlp_val", "mlp_val_shifted", "cnn_val", "cnn_val_shifted"}: accuracies in [0, 1].
        command: the command line, stored under "command".

    Returns:
        The destination as a Path.
    """
    return atomic_write_text(path, json.dumps(dict(accuracies, command=command), indent=2) + "\n")


def read_accuracies(path: PathLike) -> Dict[str, object]:
    """The JSON file `write_accuracies` wrote: the four accuracies (floats) and "command" (a str)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)
