"""The training loop of the course: shuffled mini-batches, SGD-style steps, per-epoch evaluation.

Random draws: `train` calls `np.random.shuffle` once per epoch on one index array and draws nothing
else, so the course's expected numbers are reproduced exactly.
"""
from __future__ import annotations

import sys
from typing import Callable, List, Optional, Tuple

import numpy as np

from lib.checks import check_batches, check_positive_int
from lib.losses import CrossEntropyLoss
from lib.model_evaluation import accuracy, evaluate
from lib.network_base import Module, Parameter
from lib.optimizers import SGD
from lib.utilities import cast_if_wider

Results = Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
# The course's training recipe (the sheet's numbers), the defaults of `fit`.
NUM_EPOCHS = 10
BATCH_SIZE = 50
MOMENTUM = 0.9
CONV_LR = 0.01  # the learning rates the sheet trains each model with (SGD, momentum 0.9): the CNN's
MLP_LR = 0.05  # and the MLP's


def train(model: Module, loss_fn: Module, optimizer, x_train: np.ndarray, y_train: np.ndarray,
          x_val: np.ndarray, y_val: np.ndarray, num_epochs: int, batch_size: int, scheduler=None,
          progress: Optional[bool] = None, skip_input_grad: bool = False) -> Results:
    """Train `model` with mini-batches and evaluate it after every epoch.

    Each epoch prints "Epoch e / N:", shuffles the index array in place (`np.random.shuffle`), takes
    the shuffled data, and for every batch runs zero_grad, forward, loss, backward and step; then it
    calls `scheduler.step()` (if given), switches to eval mode and prints the training accuracy and
    cost and the validation accuracy. The backward pass is the course's `model.backward(...)`; with
    `skip_input_grad` it is `model.backward_params(...)`, which skips the gradient w.r.t. the input
    images that nobody reads (see `Module.backward_params`; `fit` asks for it).

    Args:
        model: the module to train.
        loss_fn: loss module, called as `loss_fn(preds, labels)`, with `backward()`.
        optimizer: object with `zero_grad()` and `step()` over the model's parameters.
        x_train: (N, ...) training inputs; N must be a multiple of batch_size.
        y_train: (N, C) one-hot training labels.
        x_val: (M, ...) validation inputs; M must be a multiple of batch_size.
        y_val: (M, C) one-hot validation labels.
        num_epochs: number of passes over the training data.
        batch_size: samples per mini-batch.
        scheduler: optional object whose `step()` is called once per epoch.
        progress: show a progress line on stderr during each epoch; None (default) shows it only
            when stderr is a terminal.
        skip_input_grad: call `model.backward_params` instead of `model.backward` (a Module model only).

    Returns:
        `(train_costs, train_accuracies, eval_costs, eval_accuracies)`, each of shape (num_epochs,):
        mean training loss over batches, training accuracy, summed validation loss, validation accuracy.

    Raises:
        ValueError: on mismatched lengths, non-positive sizes, or N or M not a multiple of batch_size.
    """
    num_epochs = check_positive_int(num_epochs, "num_epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    x_train, y_train, x_val, y_val = (np.asarray(a) for a in (x_train, y_train, x_val, y_val))
    check_batches(x_train, y_train, batch_size, "x_train", "y_train")
    check_batches(x_val, y_val, batch_size, "x_val", "y_val")  # checked now, not after the first epoch
    if progress is None:
        progress = sys.stderr.isatty()

    train_costs, train_accuracies = np.zeros(num_epochs), np.zeros(num_epochs)
    eval_costs, eval_accuracies = np.zeros(num_epochs), np.zeros(num_epochs)
    idx = np.arange(len(x_train))
    for epoch in range(num_epochs):
        print(f"Epoch {epoch + 1} / {num_epochs}:")
        np.random.shuffle(idx)
        x_epoch, y_epoch = x_train[idx], y_train[idx]
        model.train()
        train_costs[epoch], predictions = _run_epoch(model, loss_fn, optimizer, x_epoch, y_epoch,
                                                     batch_size, progress, skip_input_grad)
        if scheduler is not None:
            scheduler.step()
        model.eval()
        train_accuracies[epoch] = accuracy(y_epoch, predictions)
        print(f"  Training Accuracy: {train_accuracies[epoch]:.4f}")
        print(f"  Training Cost: {train_costs[epoch]:.4f}")
        eval_accuracies[epoch], eval_costs[epoch] = evaluate(x_val, y_val, model, loss_fn, batch_size)
        print(f"  Eval Accuracy: {eval_accuracies[epoch]:.4f}")
    return train_costs, train_accuracies, eval_costs, eval_accuracies


def _run_epoch(model: Module, loss_fn: Module, optimizer, x: np.ndarray, y: np.ndarray, batch_size: int,
               progress: bool, skip_input_grad: bool) -> Tuple[float, np.ndarray]:
    """One pass over (already shuffled) data; return the mean batch loss and all predictions (N, C)."""
    num_batches = len(x) // batch_size
    backward = model.backward_params if skip_input_grad and isinstance(model, Module) else model.backward
    costs = np.zeros(num_batches)
    predictions = []
    for b in range(num_batches):
        x_batch, y_batch = x[b * batch_size:(b + 1) * batch_size], y[b * batch_size:(b + 1) * batch_size]
        optimizer.zero_grad()
        preds = model(x_batch)
        costs[b] = loss_fn(preds, y_batch)
        backward(loss_fn.backward())
        optimizer.step()
        predictions.append(preds)
        if progress and (b % 10 == 9 or b == num_batches - 1):
            sys.stderr.write(f"\r  batch {b + 1}/{num_batches}  loss {costs[:b + 1].mean():.4f}")
            sys.stderr.flush()
    if progress:
        sys.stderr.write("\r" + " " * 40 + "\r")
        sys.stderr.flush()
    return float(costs.mean()), np.concatenate(predictions)


def fit(model: Module, lr: float, data: Tuple[np.ndarray, ...], dtype=np.float64, num_epochs: int = NUM_EPOCHS,
        batch_size: int = BATCH_SIZE, momentum: float = MOMENTUM, progress: Optional[bool] = None,
        optimizer: Optional[Callable[[List[Parameter], float], object]] = None) -> Results:
    """Train `model` with the course's recipe: cross-entropy, SGD with momentum (or `optimizer`), `train`'s loop.

    The parameters are cast to `dtype` once here, and so is data that would otherwise pull the
    computation to a wider type (float64 labels in a float32 run); see `cast_if_wider`. The
    optimizer is built after the cast, so its state (momentum, Adam's moments) has the parameters' dtype.

    Args:
        model: the model to train (its parameters are cast to `dtype`).
        lr: learning rate (the peak rate of a scheduled optimizer).
        data: `(x_train, y_train, x_val, y_val)` in the shapes the model expects.
        dtype: float dtype of the computation (np.float64 or np.float32).
        num_epochs: passes over the training data.
        batch_size: samples per mini-batch.
        momentum: SGD's momentum (the default optimizer's only).
        progress: progress display of `train` (None: only on a terminal).
        optimizer: `optimizer(params, lr)` builds another optimizer from the cast parameters, e.g.
            `lambda params, lr: Adam(params, lr=lr)`; None (the default) builds
            `SGD(params, lr=lr, momentum=momentum)`.

    Returns:
        `train`'s `(train_costs, train_accuracies, eval_costs, eval_accuracies)`.

    Raises:
        ValueError: if `data` is not four arrays (and as `train` raises).
        TypeError: if `optimizer` is neither None nor callable.
    """
    if not isinstance(data, (tuple, list)) or len(data) != 4:
        raise ValueError("data must be a tuple (x_train, y_train, x_val, y_val)")
    if optimizer is not None and not callable(optimizer):
        raise TypeError("optimizer must be a function optimizer(params, lr) that builds the optimizer, "
                        f"got {type(optimizer).__name__}")
    model.to(dtype)
    x_train, y_train, x_val, y_val = (cast_if_wider(a, dtype) for a in data)
    if optimizer is None:
        built = SGD(model.parameters(), lr=lr, momentum=momentum)
    else:
        built = optimizer(model.parameters(), lr)
    return train(model, CrossEntropyLoss(), built, x_train, y_train, x_val, y_val, num_epochs, batch_size,
                 progress=progress, skip_input_grad=True)
