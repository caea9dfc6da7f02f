"""Moving images: exact shifts with zero fill, random shifts for augmentation, re-centring by the centre of mass.

Shape letters: N images, C channels, H height, W width. A shift (dy, dx) moves the content dy rows
down and dx columns right (negative values: up and left); what leaves the image is lost and the
uncovered band is filled with zeros. Randomness comes from a generator passed in, never from the
global `np.random` stream, whose order of draws the course's expected numbers depend on.
"""
from __future__ import annotations

from typing import Tuple, Union

import numpy as np

from lib.checks import check_feature_maps, check_int, check_int_array, check_non_negative_int, check_same_length
from lib.network_base import Module

RandomGenerator = Union[np.random.Generator, np.random.RandomState]


def shift_images(images: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Move the content of every image by `dy` rows and `dx` columns, filling with zeros.

    Args:
        images: (N, C, H, W) array (or nested sequence).
        dy: signed vertical shift in pixels (positive: down); |dy| >= H leaves only zeros.
        dx: signed horizontal shift in pixels (positive: right).

    Returns:
        A new array of the same shape and dtype.

    Raises:
        ValueError: if images are not 4-D. TypeError: if they are not real or dy, dx are not ints.
    """
    images = check_feature_maps(images, "shift_images")
    dy, dx = check_int(dy, "dy"), check_int(dx, "dx")
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


def shift_each(images: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Move image i by its own `offsets[i] = (dy, dx)`, one vectorised `shift_images` per distinct offset.

    Args:
        images: (N, C, H, W) images.
        offsets: (N, 2) integer shifts, column 0 = dy, column 1 = dx.

    Returns:
        (N, C, H, W) shifted copies.

    Raises:
        ValueError: if images are not 4-D or offsets are not (N, 2). TypeError: if offsets are not integers.
    """
    images = check_feature_maps(images, "shift_each")
    offsets = check_int_array(offsets, "offsets", (len(images), 2), f"(N, 2) = {(len(images), 2)}")
    out = np.empty_like(images)
    for dy, dx in np.unique(offsets, axis=0):
        chosen = np.flatnonzero((offsets[:, 0] == dy) & (offsets[:, 1] == dx))
        out[chosen] = shift_images(images[chosen], int(dy), int(dx))
    return out


def random_offsets(rng: RandomGenerator, max_shift: int, size: Tuple[int, ...]) -> np.ndarray:
    """Integer shifts drawn uniformly from -max_shift..max_shift, from `rng` alone.

    A `RandomState` draws `rng.randint(-max_shift, max_shift + 1, size=size)`, a `Generator` the same
    range with `rng.integers`; the global `np.random` stream is never touched.

    Args:
        rng: a `np.random.Generator` or `np.random.RandomState`.
        max_shift: the largest shift, >= 0.
        size: the shape of the result, e.g. (N, 2) for one (dy, dx) per image.

    Raises:
        TypeError: if rng is neither, or max_shift is not an int. ValueError: if max_shift < 0.
    """
    max_shift = check_non_negative_int(max_shift, "max_shift")
    if isinstance(rng, np.random.Generator):
        return rng.integers(-max_shift, max_shift + 1, size=size)
    if isinstance(rng, np.random.RandomState):
        return rng.randint(-max_shift, max_shift + 1, size=size)
    raise TypeError(f"rng must be a numpy Generator or RandomState, got {type(rng).__name__}")


def random_shifts(images: np.ndarray, max_shift: int, rng: RandomGenerator) -> np.ndarray:
    """Move each image by its own random (dy, dx), each drawn uniformly from -max_shift..max_shift.

    Args:
        images: (N, C, H, W) images.
        max_shift: largest shift in pixels along each axis, >= 0.
        rng: the generator of the draws, a `np.random.Generator` or `np.random.RandomState` (see `random_offsets`).

    Returns:
        (N, C, H, W) shifted copies.
    """
    images = check_feature_maps(images, "random_shifts")
    offsets = random_offsets(rng, max_shift, (len(images), 2))  # (N, 2): dy, dx
    return shift_each(images, offsets)


def augment_with_shifts(x: np.ndarray, y: np.ndarray, rng: RandomGenerator, copies: int,
                        max_shift: int) -> Tuple[np.ndarray, np.ndarray]:
    """The training set followed by `copies` randomly shifted copies of it (see `random_shifts`).

    Args:
        x: (N, C, H, W) images; y: their N labels (any shape (N, ...)).
        rng: the generator of the shifts (see `random_offsets`).
        copies: shifted copies to add, >= 0 (0: the data alone).
        max_shift: largest shift in pixels along each axis, >= 0.

    Returns:
        `(x_augmented, y_augmented)` with `(copies + 1) * N` samples.

    Raises:
        ValueError: if x is not 4-D, x and y differ in length or are empty, or copies or max_shift < 0.
        TypeError: if x is not real, or copies or max_shift is not an int.
    """
    x, y = check_feature_maps(x, "augment_with_shifts"), np.asarray(y)
    check_same_length(x, y, "x", "y")
    copies = check_non_negative_int(copies, "copies")
    check_non_negative_int(max_shift, "max_shift")  # checked even when copies = 0 draws nothing
    shifted = [random_shifts(x, max_shift, rng) for _ in range(copies)]
    return np.concatenate([x] + shifted), np.concatenate([y] * (copies + 1))


def centre_of_mass(images: np.ndarray) -> np.ndarray:
    """The intensity-weighted mean (row, column) of every image, over all channels.

    Args:
        images: (N, C, H, W) non-negative images.

    Returns:
        (N, 2) float array; an all-zero image has its centre in the middle of the image.

    Raises:
        ValueError: if images are not 4-D or hold a negative (or NaN) pixel: a mass must not be negative.
        TypeError: if images are not real.
    """
    images = check_feature_maps(images, "centre_of_mass")
    if not np.all(images >= 0):  # also catches NaN, which compares False
        raise ValueError(f"images must be non-negative intensities for a centre of mass, got a minimum of "
                         f"{np.min(images)}")
    mass = images.sum(axis=1)  # (N, H, W)
    total = mass.sum(axis=(1, 2))  # (N,)
    height, width = mass.shape[1:]
    rows = mass.sum(axis=2) @ np.arange(height)  # (N,)
    cols = mass.sum(axis=1) @ np.arange(width)  # (N,)
    middle = np.array([(height - 1) / 2, (width - 1) / 2])
    safe_total = np.where(total > 0, total, 1)
    centres = np.stack([rows / safe_total, cols / safe_total], axis=1)  # (N, 2)
    return np.where(total[:, None] > 0, centres, middle)


def recentre(images: np.ndarray) -> np.ndarray:
    """Move every image by whole pixels so that its centre of mass lands as close as possible to the middle.

    This undoes a translation up to rounding (and up to what a shift pushed out of the image), so a
    model that sees only re-centred images is insensitive to where the digit was.

    Args:
        images: (N, C, H, W) non-negative images.

    Returns:
        (N, C, H, W) re-centred copies.

    Raises:
        ValueError, TypeError: as `centre_of_mass`.
    """
    images = check_feature_maps(images, "recentre")
    height, width = images.shape[-2:]
    middle = np.array([(height - 1) / 2, (width - 1) / 2])
    offsets = np.rint(middle - centre_of_mass(images)).astype(np.int64)  # (N, 2)
    return shift_each(images, offsets)


class Recentre(Module):
    """`recentre` as the first layer of a model: (N, C, H, W) -> the same images, re-centred.

    It has no parameters and nothing flows back through it (the images are data), so `backward`
    raises and `backward_params` does nothing; a model that starts with it trains as usual.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Re-centre every image of x (see `recentre`)."""
        return recentre(x)

    def backward(self, grad: np.ndarray):
        """Not differentiable: moving by a rounded, data-dependent offset has no useful input gradient."""
        raise NotImplementedError("Recentre has no input gradient; use it as the first layer of a model")

    def backward_params(self, grad: np.ndarray) -> None:
        """Nothing to accumulate: Recentre has no parameters."""

    def __repr__(self) -> str:
        return "Recentre()"
