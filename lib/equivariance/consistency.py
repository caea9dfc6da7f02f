"""Zhang's consistency: how often a model predicts the same class for two random shifts of an image.

Zhang (2019, "Making Convolutional Networks Shift-Invariant Again") measures shift invariance by
the answer alone: where the per-layer errors of the equivariance lab (`lib.equivariance.measure`, which
re-exports `consistency`) say where a network stops moving with its input, consistency says how
often that changes the predicted class. It reads only the model's scores, so any Module that maps
images to scores can be measured.

Shape letters: N images, C channels, H, W image height and width, K classes.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from lib.checks import check_positive_int
from lib.equivariance.layer_outputs import check_images, eval_mode
from lib.network_base import Module
from lib.shifts import RandomGenerator, random_offsets, shift_each

CONSISTENCY_PAIRS = 5  # pairs of random shifts per image
CONSISTENCY_BATCH = 500  # images per forward pass


def consistency(model: Module, images: np.ndarray, max_shift: int = 3, pairs: int = CONSISTENCY_PAIRS,
                rng: Optional[RandomGenerator] = None, batch_size: int = CONSISTENCY_BATCH) -> float:
    """Zhang's consistency: how often the model predicts the same class for two random shifts of an image.

    For every image and each of `pairs` pairs, two shifts (dy, dx) are drawn, each coordinate
    uniform in -max_shift..max_shift (zero fill); the result is the fraction of (image, pair) with
    equal predicted classes (argmax of the output). The shifts come from `rng` in one draw of shape
    (pairs, 2, N, 2), so they do not depend on `batch_size`. The model runs in evaluation mode on
    `batch_size` images at a time; its modes are restored afterwards.

    Args:
        model: a module mapping (N, C, H, W) images to (N, K) scores.
        images: (N, C, H, W) real images.
        max_shift: the largest shift along each axis, >= 0.
        pairs: pairs of shifts per image, >= 1.
        rng: a seeded `np.random.Generator` or `np.random.RandomState`; None uses
            `np.random.default_rng(0)`. The global `np.random` stream is never touched.
        batch_size: images per forward pass.

    Returns:
        The consistency in [0, 1].

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if images are not (N, C, H, W) or max_shift < 0.
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be a Module, got {type(model).__name__}")
    images = check_images(images)
    pairs, batch_size = check_positive_int(pairs, "pairs"), check_positive_int(batch_size, "batch_size")
    rng = np.random.default_rng(0) if rng is None else rng
    offsets = random_offsets(rng, max_shift, (pairs, 2, len(images), 2))  # (pairs, 2, N, 2): two (dy, dx) each
    same = np.empty((pairs, len(images)), dtype=bool)
    with eval_mode(model):
        for start in range(0, len(images), batch_size):
            chunk = slice(start, start + batch_size)
            for p in range(pairs):
                first = _predict(model, shift_each(images[chunk], offsets[p, 0, chunk]))
                second = _predict(model, shift_each(images[chunk], offsets[p, 1, chunk]))
                same[p, chunk] = first == second
    return float(same.mean())


def _predict(model: Module, images: np.ndarray) -> np.ndarray:
    """Predicted class per image, (N,)."""
    scores = np.asarray(model(images))
    return scores.reshape(len(images), -1).argmax(axis=1)
