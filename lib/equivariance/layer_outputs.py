"""Every layer's output of a Sequential, computed in evaluation mode without disturbing the model.

The equivariance lab runs trained models on images and on their shifted copies. It wants the
outputs of evaluation mode (dropout off, batch norm on its running statistics) and hands the model
back in the modes it found it in. The checks of the model and of the images that the lab's
functions share live here too.

Shape letters: N images, C channels, H, W image height and width.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, List

import numpy as np

from lib.checks import check_real_array
from lib.network import Sequential
from lib.network_base import Module


def layer_outputs(model: Sequential, images: np.ndarray) -> List[np.ndarray]:
    """Every module's output for `images`, in order, computed in evaluation mode (modes restored).

    images: (N, C, H, W); the i-th output has the shape of module i's output, e.g. (N, F, OH, OW).
    """
    check_model(model)
    outputs = []
    with eval_mode(model):
        x = images
        for module in model.modules:
            x = module(x)
            outputs.append(x)
    return outputs


@contextmanager
def eval_mode(model: Module) -> Iterator[Module]:
    """Put `model` (and every module nested in it) in evaluation mode, and restore each one's mode afterwards."""
    modes = [(module, module.training) for module in _all_modules(model)]
    model.eval()
    try:
        yield model
    finally:
        for module, training in modes:
            module.training = training


def _all_modules(module: Module) -> Iterator[Module]:
    yield module
    if isinstance(module, Sequential):
        for child in module.modules:
            yield from _all_modules(child)


def check_model(model) -> None:
    """TypeError unless model is a Sequential, whose `modules` the lab reads one by one."""
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential, got {type(model).__name__}")


def check_images(images) -> np.ndarray:
    """images as an array, checked to be real (N, C, H, W) with N >= 1 (ValueError, TypeError)."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[0] == 0:
        raise ValueError(f"images must have shape (N, C, H, W) with N >= 1, got shape {images.shape}")
    return check_real_array(images, "images")
