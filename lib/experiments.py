"""The course's two MNIST experiments: train the small CNN, then compare it with an MLP on shifted images.

`run_conv_experiment` trains the course CNN (two strided 4x4 convolutions and a linear layer) and saves
its parameters; `run_shifted_conv_experiment` trains the course MLP, reloads that CNN and prints the
accuracy of both on the validation images and on the same images moved 2 pixels right and down.
The study that goes beyond the sheet (more shifts, more models) lives in `lib/shift_study.py`.

Random draws: the course's layers initialise from the global `np.random` stream and `train` shuffles
with it, so a `seed` (when given) is set with `np.random.seed` right before the model is built.
`seed=None` leaves the stream alone, as the course's functions do.

The course pickled the trained model to `results/conv_model.pkl`; this module saves its parameters
with `np.savez` to `results/conv_model.npz` instead and loads them with `allow_pickle=False`.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np

from lib.activations import ReLU
from lib.convolutions import Conv2d, Flatten
from lib.dataset_mnist import load_mnist_data
from lib.losses import CrossEntropyLoss
from lib.model_evaluation import evaluate
from lib.model_training import train
from lib.network import Linear, Sequential
from lib.network_base import Module
from lib.optimizers import SGD
from lib import plot_images
from lib.plot_curves import plot_learning_curves
from lib.plot_images import plot_data
from lib.checks import check_positive_int
from lib.utilities import atomic_write_text, load_arrays, save_arrays

RESULTS_DIR = Path("results")
RESULTS_FILE = "conv_model.npz"  # the course's "conv_model.pkl", saved without pickle
SHIFTED_SAMPLES_FILE = "shifted_samples.png"
CURVES_FILE = "conv_learning_curves.png"

# The sheet's hyperparameters.
NUM_EPOCHS = 10
BATCH_SIZE = 50
MOMENTUM = 0.9
CONV_LR = 0.01
MLP_LR = 0.05
LINEAR_UNITS = 30
SHIFT = 2  # pixels, right and down, in the second experiment

MISSING_MODEL_MESSAGE = "Run the first experiment before you run the second experiment."

Results = Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def create_conv_model() -> Module:
    """Build the course's CNN: two 4x4 convolutions with stride 2 and padding 1, then a linear layer.

    28x28 -> 14x14 (5 maps) -> 7x7 (10 maps) -> 490 features -> 10 scores. The weights are drawn
    from the global `np.random` stream in layer order.

    Returns:
        `Sequential(Conv2d(1, 5), ReLU, Conv2d(5, 10), ReLU, Flatten, Linear(490, 10))`, parameter shapes
        (5, 1, 4, 4), (5, 1, 1), (10, 5, 4, 4), (10, 1, 1), (490, 10), (10,).
    """
    kernel, stride, padding = (4, 4), (2, 2), (1, 1)
    return Sequential(
        Conv2d(1, 5, kernel, stride, padding), ReLU(),  # (N, 5, 14, 14)
        Conv2d(5, 10, kernel, stride, padding), ReLU(),  # (N, 10, 7, 7)
        Flatten(),  # (N, 490)
        Linear(10 * 7 * 7, 10))  # (N, 10)


def create_mlp(linear_units: int = LINEAR_UNITS) -> Module:
    """Build the course's MLP for flattened 28x28 images: `Linear(784, units), ReLU, Linear(units, 10)`."""
    return Sequential(Linear(28 * 28, linear_units), ReLU(), Linear(linear_units, 10))


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


def cast_parameters(model: Module, dtype) -> Module:
    """Convert every parameter (and its gradient) of `model` to `dtype`, once, before training."""
    for p in model.parameters():
        p.data = p.data.astype(dtype, copy=False)
        p.grad = np.zeros_like(p.data)
    return model


def fit(model: Module, lr: float, data: Tuple[np.ndarray, ...], dtype=np.float64,
        num_epochs: int = NUM_EPOCHS, batch_size: int = BATCH_SIZE, progress: Optional[bool] = None) -> Results:
    """Train `model` with the sheet's loop: cross-entropy, SGD with momentum 0.9, one evaluation per epoch.

    The parameters are cast to `dtype` once here, and so is data that would otherwise pull the
    computation to a wider type (float64 labels in a float32 run). Narrower data is left as it is
    (float32 images in a float64 run): the layers widen each batch exactly on the copy they make
    anyway, so a widened copy of the whole set would only double the memory every epoch shuffles.

    Args:
        model: the model to train (its parameters are cast to `dtype`).
        lr: learning rate of SGD.
        data: `(x_train, y_train, x_val, y_val)` in the shapes the model expects.
        dtype: float dtype of the computation (np.float64 or np.float32).
        num_epochs: passes over the training data.
        batch_size: samples per mini-batch.
        progress: progress display of `train` (None: only on a terminal).

    Returns:
        `train`'s `(train_costs, train_accuracies, eval_costs, eval_accuracies)`.
    """
    cast_parameters(model, dtype)
    x_train, y_train, x_val, y_val = (cast_if_wider(np.asarray(a), dtype) for a in data)
    optimizer = SGD(model.parameters(), lr=lr, momentum=MOMENTUM)
    # The course's train() has no `progress`; pass it only when asked, so the course's signature suffices.
    extra = {} if progress is None else {"progress": progress}
    return train(model, CrossEntropyLoss(), optimizer, x_train, y_train, x_val, y_val, num_epochs, batch_size, **extra)


def cast_if_wider(array: np.ndarray, dtype) -> np.ndarray:
    """`array` itself if computing with it keeps the result in `dtype`, else a copy cast to `dtype`."""
    return array if np.result_type(array.dtype, dtype) == dtype else array.astype(dtype)


def save_model(model: Module, path) -> Path:
    """Save the model's parameters, in order, to an `.npz` file (atomic, no pickle); return the path."""
    return save_arrays(path, {f"{i:02d}_{p.name}": p.data for i, p in enumerate(model.parameters())})


def load_model(model: Module, path) -> Module:
    """Load parameters saved by `save_model` into `model` (built with the same architecture).

    Raises:
        FileNotFoundError: if `path` does not exist.
        ValueError: if the file's parameters do not match the model's in number or shape.
    """
    arrays = load_arrays(path)
    params = model.parameters()
    if len(arrays) != len(params):
        raise ValueError(f"{path} holds {len(arrays)} parameters, the model has {len(params)}")
    for p, key in zip(params, sorted(arrays)):
        if arrays[key].shape != p.data.shape:
            raise ValueError(f"parameter {key!r} in {path} has shape {arrays[key].shape}, "
                             f"the model expects {p.data.shape}")
        p.data = arrays[key]
        p.grad = np.zeros_like(p.data)
    return model


def load_conv_model(path: Optional[Path] = None) -> Module:
    """Rebuild the course CNN and load the parameters the first experiment saved.

    Building the layers draws initial weights; the global random state is restored afterwards, so a
    reload leaves `np.random` exactly as the course's unpickling did.

    Args:
        path: the `.npz` file; default `RESULTS_DIR / RESULTS_FILE`.

    Returns:
        The CNN with the saved parameters, in evaluation mode.

    Raises:
        RuntimeError: if the file does not exist ("Run the first experiment before ...").
    """
    path = RESULTS_DIR / RESULTS_FILE if path is None else Path(path)
    if not path.is_file():
        raise RuntimeError(MISSING_MODEL_MESSAGE)
    state = np.random.get_state()
    try:
        model = create_conv_model()
    finally:
        np.random.set_state(state)
    return load_model(model, path).eval()


def train_conv_model(data: Tuple[np.ndarray, ...], seed: Optional[int] = None, dtype=np.float64,
                     num_epochs: int = NUM_EPOCHS, progress: Optional[bool] = None) -> Tuple[Module, Results]:
    """Seed (if asked), build and train the course CNN on `(x_train, y_train, x_val, y_val)`.

    Returns:
        `(model, results)` with `train`'s 4-tuple as results.
    """
    if seed is not None:
        np.random.seed(seed)
    model = create_conv_model()
    results = fit(model, CONV_LR, data, dtype, num_epochs, progress=progress)
    return model, results


def run_conv_experiment(max_datapoints: int = 10000, seed: Optional[int] = None, dtype=np.float64,
                        num_epochs: int = NUM_EPOCHS, progress: Optional[bool] = None,
                        curves_path: Optional[Path] = None, show: Optional[bool] = None) -> Results:
    """Train the course CNN on the first `max_datapoints` images and save it to `results/conv_model.npz`.

    10 epochs, batch 50, SGD with lr 0.01 and momentum 0.9, cross-entropy, evaluation on the
    validation subset after every epoch (the sheet expects about 96% after epoch 10).

    Args:
        max_datapoints: training and validation images used (default 10000, at most 50000).
        seed: seed of the global random stream set before the model is built; None leaves it alone.
        dtype: np.float64 (the course) or np.float32 (about twice as fast).
        num_epochs: passes over the training data.
        progress: progress display inside each epoch (None: only on a terminal).
        curves_path: if given, a `.png` path for the learning curves (see `plot_conv_learning_curves`).
        show: show the curves in a window (None: only where a display exists).

    Returns:
        `(train_costs, train_accuracies, eval_costs, eval_accuracies)`, each of shape (num_epochs,).
    """
    x_train, x_val, _, y_train, y_val, _ = load_mnist_data_subset(max_datapoints)
    model, results = train_conv_model((x_train, y_train, x_val, y_val), seed, dtype, num_epochs, progress)
    save_model(model, RESULTS_DIR / RESULTS_FILE)
    if curves_path is not None:
        plot_conv_learning_curves(results, len(x_val), curves_path, show)
    return results


def plot_conv_learning_curves(results: Results, num_val: int, save_path: Path, show: Optional[bool] = None) -> None:
    """Plot `train`'s curves with both losses as the mean loss per batch.

    `train` reports the training cost as a mean over batches but the validation cost as the course's
    sum over batches; dividing the latter by the number of validation batches puts both on one scale.

    Args:
        results: `train`'s 4-tuple.
        num_val: number of validation samples the costs were summed over.
        save_path: `.png` path of the figure.
        show: show the figure in a window (None: only where a display exists).
    """
    train_costs, train_accuracies, eval_costs, eval_accuracies = results
    plot_learning_curves(train_costs, train_accuracies, eval_costs / (num_val // BATCH_SIZE), eval_accuracies,
                         save_path=save_path, show=show,
                         title="Course CNN on MNIST: mean loss per batch of 50 (left), accuracy (right)")


def shift_images(images: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Move the content of every image by `dy` rows and `dx` columns, filling with zeros.

    Positive `dy` moves down, positive `dx` right; negative values move up and left. What leaves the
    image is lost; a shift of at least the image size leaves only zeros.

    Args:
        images: (N, C, H, W) array.
        dy: signed vertical shift in pixels.
        dx: signed horizontal shift in pixels.

    Returns:
        A new array of the same shape and dtype.
    """
    out = np.zeros_like(images)
    height, width = images.shape[-2:]
    if abs(dy) >= height or abs(dx) >= width:
        return out
    # Row r of the source lands on row r + dy: copy the overlap of the two windows.
    src_rows = slice(max(-dy, 0), height - max(dy, 0))
    dst_rows = slice(max(dy, 0), height - max(-dy, 0))
    src_cols = slice(max(-dx, 0), width - max(dx, 0))
    dst_cols = slice(max(dx, 0), width - max(-dx, 0))
    out[:, :, dst_rows, dst_cols] = images[:, :, src_rows, src_cols]
    return out


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
        raise ValueError("x.shape should be (dataset_size, channel_size, width, height) "
                         f"but is {original_data.shape}")
    if isinstance(shift, bool) or not isinstance(shift, (int, np.integer)):
        raise TypeError(f"shift must be an int, got {shift!r}")
    if shift < 0:
        raise ValueError(f"shift must be >= 0 (pixels right and down), got {shift}")
    return shift_images(original_data, int(shift), int(shift))


def compare_on_shifted_data(max_datapoints: int = 10000, seed: Optional[int] = None, dtype=np.float64,
                            train_cnn: bool = False, num_epochs: int = NUM_EPOCHS,
                            progress: Optional[bool] = None, show: Optional[bool] = None) -> Dict[str, float]:
    """The second experiment, returning its four accuracies (`run_shifted_conv_experiment` prints them).

    Plots 4 validation images above their shifted copies (`results/shifted_samples.png`), trains the
    MLP on the unshifted data, reloads (or, with `train_cnn`, trains and saves) the CNN, and prints the
    accuracy of both models on the validation images and on them shifted 2 pixels right and down.

    Args:
        max_datapoints: training and validation images used.
        seed: seed of the global random stream set before the MLP (and before a CNN trained here)
            is built; None leaves the stream alone.
        dtype: float dtype of the computation.
        train_cnn: train the CNN now (as `run_conv_experiment` with the same arguments would) instead
            of loading it.
        num_epochs: passes over the training data for every model trained here.
        progress: progress display inside each epoch (None: only on a terminal).
        show: show the figure in a window (None: only where a display exists).

    Returns:
        dict with keys "mlp_val", "mlp_val_shifted", "cnn_val", "cnn_val_shifted".

    Raises:
        RuntimeError: if the CNN is to be loaded and `results/conv_model.npz` does not exist.
    """
    model_path = RESULTS_DIR / RESULTS_FILE
    if not train_cnn and not model_path.is_file():  # fail now, not after the MLP's training
        raise RuntimeError(MISSING_MODEL_MESSAGE)
    x_train, x_val, _, y_train, y_val, _ = load_mnist_data_subset(max_datapoints)
    x_val_shifted = shift_data(x_val, SHIFT)
    samples, title = np.concatenate((x_val[:4], x_val_shifted[:4])), "Validation and shifted validation data."
    # The labelled PNG comes from plot_images' own function; the course's call below keeps exactly the
    # course's arguments, so a test that replaces `plot_data` here with the course's signature still works.
    plot_images.plot_data(samples, rows=2, cols=4, plot_border=True, title=title, show=False,
                          save_path=RESULTS_DIR / SHIFTED_SAMPLES_FILE,
                          labels=["original"] * 4 + [f"shifted {SHIFT} px \u2198"] * 4)
    plot_data(samples, rows=2, cols=4, plot_border=True, title=title, **({} if show is None else {"show": show}))

    if seed is not None:
        np.random.seed(seed)
    mlp = create_mlp()

    def flat(x: np.ndarray) -> np.ndarray:
        return x.reshape(len(x), -1)  # (N, 784)

    fit(mlp, MLP_LR, (flat(x_train), y_train, flat(x_val), y_val), dtype, num_epochs, progress=progress)

    if train_cnn:
        print("Train the convolutional model now.")
        cnn, _ = train_conv_model((x_train, y_train, x_val, y_val), seed, dtype, num_epochs, progress)
        save_model(cnn, model_path)
    else:
        print("Reload convolutional model from disk.")
        cnn = load_conv_model(model_path)

    def accuracy_of(model: Module, x: np.ndarray) -> float:
        x = cast_if_wider(np.asarray(x), model.parameters()[0].data.dtype)
        return evaluate(x, y_val, model, CrossEntropyLoss(), BATCH_SIZE)[0]

    accuracies = {}
    for key, label, model, x in (
            ("mlp_val", "Accuracy on data using an MLP", mlp, flat(x_val)),
            ("mlp_val_shifted", "Accuracy on shifted data using an MLP", mlp, flat(x_val_shifted)),
            ("cnn_val", "Accuracy on data using convolutional model", cnn, x_val),
            ("cnn_val_shifted", "Accuracy on shifted data using convolutional model", cnn, x_val_shifted)):
        accuracies[key] = accuracy_of(model, x)
        print(f"{label}: ", accuracies[key])
    return accuracies


def run_shifted_conv_experiment(max_datapoints: int = 10000, seed: Optional[int] = None, dtype=np.float64,
                                train_cnn: bool = False, num_epochs: int = NUM_EPOCHS,
                                progress: Optional[bool] = None, show: Optional[bool] = None,
                                json_path: Optional[Path] = None, command: str = "") -> None:
    """The course's second experiment: MLP vs. CNN on validation images shifted 2 pixels right and down.

    Runs `compare_on_shifted_data` (see there for the other arguments) and, as in the course, returns None.

    Args:
        json_path: if given, also write the four accuracies and `command` to this JSON file (atomically).
        command: the command line that ran the experiment, recorded in the JSON file.

    Raises:
        RuntimeError: if the CNN is to be loaded and the first experiment has not saved it.
    """
    accuracies = compare_on_shifted_data(max_datapoints, seed, dtype, train_cnn, num_epochs, progress, show)
    if json_path is not None:
        atomic_write_text(json_path, json.dumps(dict(accuracies, command=command), indent=2) + "\n")
