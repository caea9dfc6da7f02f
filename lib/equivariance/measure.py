"""The equivariance lab: layer by layer, how far a CNN's maps are from moving with its input.

A convolution with stride 1 is translation-equivariant: move the input by (dy, dx) pixels and its
output moves by (dy, dx) cells (away from the borders). A layer whose cells lie J pixels apart (its
cumulative stride) can follow a shift only when J divides it; any other shift lands between its
cells, and what the layer computes there it never computed before. A flattening head gives every
position of the last map its own weights, so the scores change with any shift. This module measures
each of these effects on real images, which is the answer to the sheet's question why the CNN's
accuracy on shifted digits is not its accuracy on unshifted ones.

Definitions (per axis; the code handles height and width alike):

* Geometry, cell shift and valid window: where a layer's cells look in the image (cumulative stride
  J, receptive-field size R, offset S), the cell shift that a pixel shift becomes (d / J when J
  divides d, else the better of the two nearest integers), and the cells compared (those computed
  from image pixels only, in both maps). `lib.equivariance.receptive_field` defines and computes them.
* Relative error: `max |a - b| / max |b|` over all images, channels and compared cells, a the
  shifted images' output and b the original's (moved by the cell shift). When `max |b| = 0` it is
  0.0 if `max |a| = 0` too and inf otherwise; with no cell to compare it is nan.
* Layers without a spatial map (from Flatten, GlobalAvgPool2d or Linear on): the invariance error,
  the same relative error between the outputs for the shifted and the original images.

Shape letters: N images, C channels, H, W image height and width, h, w map height and width.
"""
from __future__ import annotations

from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from lib.checks import check_int
from lib.convolutions import Conv2d
# consistency is re-exported: the lab imports its measures from this module.
from lib.equivariance.consistency import consistency  # noqa: F401
from lib.equivariance.layer_outputs import check_images, check_model, layer_outputs
from lib.network import Sequential
from lib.equivariance.receptive_field import (Geometry, Pair, cell_shift_candidates, is_window, receptive_fields,
                                              valid_window)
from lib.shifts import shift_images

SWEEP_SHIFTS = tuple(range(-4, 5))  # pixels, each of dy and dx
SWEEP_COLUMNS = ("model", "layer_index", "layer", "dy", "dx", "relative_error")
EXACT = 1e-12  # a relative error below this is rounding: the layer moved exactly with the shift

Row = Dict[str, object]


class LayerError(NamedTuple):
    """How far one layer's output on shifted images is from its output on the originals."""
    layer_index: int  # position in the Sequential, 0-based
    layer: str  # class name of the module
    stride: Optional[Pair]  # cumulative stride of the map; None for a layer without a spatial map
    cell_shift: Optional[Pair]  # cells the original's map was moved by; None without a spatial map
    relative_error: float  # max |a - b| / max |b| (see the module docstring)
    positions: int  # values compared per image: valid cells times channels, or all output features


class MapComparison(NamedTuple):
    """One layer's maps for an image and its shifted copy, aligned by the cell shift."""
    layer_index: int
    layer: str
    stride: Pair
    cell_shift: Pair
    original: np.ndarray  # (C, h, w) maps of the original image
    shifted: np.ndarray  # (C, h, w) maps of the shifted image
    moved: np.ndarray  # (C, h, w) original maps moved by cell_shift, zero fill
    window: Tuple[slice, slice]  # the compared cells of the shifted map (rows, columns)
    relative_error: float


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """`max |a - b| / max |b|` of two arrays of the same shape (any): 0.0 if both are all zero, inf if only
    b is, nan if they are empty."""
    if np.size(b) == 0:
        return float("nan")
    scale = float(np.max(np.abs(b)))
    difference = float(np.max(np.abs(np.asarray(a, dtype=np.float64) - b)))
    if scale == 0.0:
        return 0.0 if difference == 0.0 else float("inf")
    return difference / scale


def equivariance_errors(model: Sequential, images: np.ndarray, dy: int, dx: int) -> List[LayerError]:
    """Each layer's distance from moving with the input when the images move by (dy, dx) pixels.

    The model runs in evaluation mode on the images and on their shifted copies (zero fill); its
    modes are restored afterwards. Definitions of the cell shift, the compared cells and the
    relative error `max |a - b| / max |b|` are in the module docstring.

    Args:
        model: a Sequential whose input is `images`.
        images: (N, C, H, W) real images.
        dy: rows to move down (negative: up).
        dx: columns to move right (negative: left).

    Returns:
        One `LayerError` per module, in order.

    Raises:
        TypeError: if model is not a Sequential, images are not real, or dy / dx are not ints.
        ValueError: if images are not (N, C, H, W) with N >= 1, or a module without a kernel changes
            the map size, so that its geometry is unknown.
    """
    images = check_images(images)
    shift = (check_int(dy, "dy"), check_int(dx, "dx"))
    geometries = receptive_fields(model)
    return _compare_layers(model, geometries, images, layer_outputs(model, images), shift)


def equivariance_sweep(model: Sequential, images: np.ndarray, model_name: str,
                       shifts: Sequence[int] = SWEEP_SHIFTS) -> List[Row]:
    """`equivariance_errors` for every (dy, dx) in shifts x shifts, as CSV-ready rows.

    Args:
        model: a Sequential whose input is `images`.
        images: (N, C, H, W) real images.
        model_name: the value of the "model" column.
        shifts: the pixel shifts tried along each axis (default -4..4).

    Returns:
        Dicts with the keys `SWEEP_COLUMNS`, ordered by dy, dx, then layer; relative_error is a float.

    Raises:
        TypeError, ValueError: as `equivariance_errors`, or if a shift is not an int.
    """
    images = check_images(images)
    shifts = [check_int(s, f"shifts[{i}]") for i, s in enumerate(shifts)]
    geometries = receptive_fields(model)
    originals = layer_outputs(model, images)  # computed once for all shifts
    rows = []
    for dy in shifts:
        for dx in shifts:
            for error in _compare_layers(model, geometries, images, originals, (dy, dx)):
                rows.append({"model": model_name, "layer_index": error.layer_index, "layer": error.layer,
                             "dy": dy, "dx": dx, "relative_error": error.relative_error})
    return rows


def compare_feature_maps(model: Sequential, image: np.ndarray, dy: int, dx: int,
                         layer_indices: Optional[Sequence[int]] = None) -> List[MapComparison]:
    """The maps of chosen layers for one image and its shifted copy, and the original's maps moved.

    Args:
        model: a Sequential whose input is the image.
        image: (C, H, W) or (1, C, H, W) image.
        dy, dx: the pixel shift (positive = down / right).
        layer_indices: positions of layers with a spatial map (e.g. the convolutions); None: the first two
            Conv2d layers.

    Returns:
        One `MapComparison` per index, with the cell shift chosen as in `equivariance_errors`.

    Raises:
        TypeError: if model is not a Sequential, layer_indices is neither None nor a sequence, or an index
            is not an int.
        ValueError: if an index is out of range or its layer has no spatial map, or layer_indices is None
            and the model has no Conv2d.
    """
    layer_indices = _layer_indices(model, layer_indices)
    image = np.asarray(image)
    images = check_images(image[None] if image.ndim == 3 else image)
    if len(images) != 1:
        raise ValueError(f"image must be one image (C, H, W) or (1, C, H, W), got shape {image.shape}")
    shift = (check_int(dy, "dy"), check_int(dx, "dx"))
    geometries = receptive_fields(model)
    originals = layer_outputs(model, images)
    shifted = layer_outputs(model, shift_images(images, *shift))
    comparisons = []
    for position, index in enumerate(layer_indices):
        index = check_int(index, f"layer_indices[{position}]")
        if not 0 <= index < len(geometries) or geometries[index] is None:
            raise ValueError(f"layer_indices must name layers with a spatial map, got {index}")
        geometry, name = geometries[index], type(model.modules[index]).__name__
        cells, error, _ = _best_alignment(shifted[index], originals[index], geometry, images.shape[2:], shift)
        window = valid_window(geometry, images.shape[2:], shifted[index].shape[2:], shift, cells)
        moved = shift_images(originals[index], *cells)[0]  # (C, h, w)
        comparisons.append(MapComparison(index, name, geometry.stride, cells, originals[index][0],
                                         shifted[index][0], moved, window, error))
    return comparisons


def _layer_indices(model: Sequential, layer_indices: Optional[Sequence[int]]) -> List[int]:
    """The layers `compare_feature_maps` draws: layer_indices as a list, or the first two Conv2d layers for None."""
    check_model(model)
    if layer_indices is None:
        layer_indices = [i for i, m in enumerate(model.modules) if isinstance(m, Conv2d)][:2]
        if not layer_indices:
            raise ValueError("model has no Conv2d layer; name the layers with layer_indices")
    if isinstance(layer_indices, (str, bytes)) or not hasattr(layer_indices, "__iter__"):
        raise TypeError(f"layer_indices must be None or a sequence of layer positions, got {layer_indices!r}")
    return list(layer_indices)


def _compare_layers(model: Sequential, geometries: List[Optional[Geometry]], images: np.ndarray,
                    originals: List[np.ndarray], shift: Pair) -> List[LayerError]:
    """One `LayerError` per module for the images shifted by `shift`, given the originals' outputs."""
    shifted = layer_outputs(model, shift_images(images, *shift))
    errors = []
    previous_size = images.shape[2:]
    for index, (module, geometry, a, b) in enumerate(zip(model.modules, geometries, shifted, originals)):
        name = type(module).__name__
        if geometry is None or np.ndim(a) != 4:
            errors.append(LayerError(index, name, None, None, relative_error(a, b), int(np.size(a[0]))))
            continue
        if not is_window(module) and a.shape[2:] != previous_size:
            raise ValueError(f"cannot tell where the cells of layer {index} ({name}) look: it changes the map size "
                             f"from {previous_size} to {a.shape[2:]} without kernel_size and stride attributes")
        cells, error, count = _best_alignment(a, b, geometry, images.shape[2:], shift)
        errors.append(LayerError(index, name, geometry.stride, cells, error, count * a.shape[1]))
        previous_size = a.shape[2:]
    return errors


def _best_alignment(shifted: np.ndarray, original: np.ndarray, geometry: Geometry, image_size: Pair,
                    shift: Pair) -> Tuple[Pair, float, int]:
    """`(cell_shift, relative_error, cells compared)` for the candidate cell shift with the smallest error.

    Candidates whose valid window is empty are skipped; if all are empty, the first candidate is
    returned with error nan and 0 cells.
    """
    best = None
    for cy in cell_shift_candidates(shift[0], geometry.stride[0]):
        for cx in cell_shift_candidates(shift[1], geometry.stride[1]):
            rows, cols = valid_window(geometry, image_size, shifted.shape[2:], shift, (cy, cx))
            count = (rows.stop - rows.start) * (cols.stop - cols.start)
            if count == 0:
                continue
            a = shifted[:, :, rows, cols]  # (N, C, rows, cols)
            b = original[:, :, rows.start - cy:rows.stop - cy, cols.start - cx:cols.stop - cx]  # the partner cells
            error = relative_error(a, b)
            if best is None or error < best[1]:
                best = ((cy, cx), error, count)
    if best is None:
        first = (cell_shift_candidates(shift[0], geometry.stride[0])[0],
                 cell_shift_candidates(shift[1], geometry.stride[1])[0])
        return first, float("nan"), 0
    return best
