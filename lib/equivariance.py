"""The equivariance lab: layer by layer, how far a CNN's maps are from moving with its input.

A convolution with stride 1 is translation-equivariant: move the input by (dy, dx) pixels and its
output moves by (dy, dx) cells (away from the borders). A layer whose cells lie J pixels apart (its
cumulative stride) can follow a shift only when J divides it; any other shift lands between its
cells, and what the layer computes there it never computed before. A flattening head gives every
position of the last map its own weights, so the scores change with any shift. This module measures
each of these effects on real images, which is the answer to the sheet's question why the CNN's
accuracy on shifted digits is not its accuracy on unshifted ones.

Definitions (per axis; the code handles height and width alike):

* Geometry: output cell i of a layer sees the input pixels `S + i*J ... S + i*J + R - 1`, where J is
  the cumulative stride, R the receptive-field size and S the offset (negative with zero padding).
  A window layer (kernel k, stride s, padding p, read from `kernel_size`/`stride`/`padding` or
  Conv2d's `pad`) maps (J, R, S) to (J*s, R + (k-1)*J, S - p*J).
* Cell shift: a shift of d pixels moves a map by c = d / J cells when J divides d. Otherwise the
  best of the two nearest integers, floor(d / J) and floor(d / J) + 1 (per axis, so up to 4 pairs):
  the one with the smallest relative error. Taking the best neighbour rather than the rounded one
  (which is arbitrary at d / J = 0.5) means a reported error is one that no alignment of the
  cells removes: it is the layer's, not the measurement's.
* Valid window: only the cells i of the shifted map whose receptive field lies inside the shifted
  image's moved content (no zero padding, no filled-in band of the shift), and whose partner cell
  i - c of the original map has its receptive field inside the image, are compared. Such cells are
  computed from image pixels only, so borders do not blur the answer: when J divides d the two
  cells see identical pixels, and the error is rounding only.
* Relative error: `max |a - b| / max |b|` over all images, channels and compared cells, a the
  shifted images' output and b the original's (moved by the cell shift). When `max |b| = 0` it is
  0.0 if `max |a| = 0` too and inf otherwise; with no cell to compare it is nan.
* Layers without a spatial map (from Flatten, GlobalAvgPool2d or Linear on): the invariance error,
  the same relative error between the outputs for the shifted and the original images.

Shape letters: N images, C channels, H, W image height and width, h, w map height and width.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from lib.checks import check_int, check_int_pair, check_positive_int
from lib.convolutions import Flatten
from lib.network import Linear, Sequential
from lib.network_base import Module
from lib.pooling import GlobalAvgPool2d
from lib.shifts import shift_each, shift_images

SWEEP_SHIFTS = tuple(range(-4, 5))  # pixels, each of dy and dx
SWEEP_COLUMNS = ("model", "layer_index", "layer", "dy", "dx", "relative_error")
CONSISTENCY_PAIRS = 5  # pairs of random shifts per image
CONSISTENCY_BATCH = 500  # images per forward pass
_SPATIAL_END = (Flatten, GlobalAvgPool2d, Linear)  # modules whose output is no longer a map

Pair = Tuple[int, int]
Row = Dict[str, object]
RandomGenerator = Union[np.random.Generator, np.random.RandomState]


class Geometry(NamedTuple):
    """Where a layer's output cells look in the input image, per axis (height, width).

    Output cell (i, j) sees rows `offset[0] + i*stride[0]` to `offset[0] + i*stride[0] + size[0] - 1`
    of the image, and the columns likewise.
    """
    stride: Pair  # cumulative stride J: image pixels between neighbouring cells
    size: Pair  # receptive-field size R in pixels
    offset: Pair  # S: first image pixel seen by cell 0 (negative where it reaches into zero padding)


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


# --- geometry -------------------------------------------------------------------------------------

def receptive_fields(model: Sequential) -> List[Optional[Geometry]]:
    """The geometry of every module's output, in order, computed from the modules' attributes alone.

    A module with `kernel_size` and `stride` (Conv2d, MaxPool2d, AvgPool2d, BlurPool2d) is a window
    layer; its padding is `padding` (or Conv2d's `pad`), its dilation `dilation` if it has one.
    Flatten, GlobalAvgPool2d and Linear end the spatial part: they and every later module get None.
    Any other module (ReLU, BatchNorm2d, Dropout) is taken to act cell by cell and keeps the geometry;
    `equivariance_errors` checks that it keeps the map size. A size-keeping module that is not
    position-wise (a re-centring first layer, a softmax over the whole map) keeps it too: its error
    then says how far its output is from moving with the input.

    Args:
        model: the Sequential.

    Returns:
        One `Geometry` or None per module of `model.modules`.

    Raises:
        TypeError: if model is not a Sequential, or a window layer's attributes are not ints.
    """
    _check_model(model)
    geometry: Optional[Geometry] = Geometry((1, 1), (1, 1), (0, 0))
    geometries = []
    for module in model.modules:
        if geometry is not None:
            geometry = None if isinstance(module, _SPATIAL_END) else _after(geometry, module)
        geometries.append(geometry)
    return geometries


def _after(geometry: Geometry, module: Module) -> Geometry:
    """The geometry of `module`'s output given that of its input."""
    if not _is_window(module):
        return geometry
    name = type(module).__name__
    kernel = check_int_pair(module.kernel_size, f"{name}.kernel_size", minimum=1)
    stride = check_int_pair(module.stride, f"{name}.stride", minimum=1)
    padding = check_int_pair(getattr(module, "padding", getattr(module, "pad", 0)), f"{name}.padding")
    dilation = check_int_pair(getattr(module, "dilation", 1), f"{name}.dilation", minimum=1)
    jump, size, offset = geometry
    return Geometry(tuple(j * s for j, s in zip(jump, stride)),
                    tuple(r + d * (k - 1) * j for r, d, k, j in zip(size, dilation, kernel, jump)),
                    tuple(o - p * j for o, p, j in zip(offset, padding, jump)))


def _is_window(module: Module) -> bool:
    """Whether the module slides a window over its input (it has `kernel_size` and `stride`)."""
    return hasattr(module, "kernel_size") and hasattr(module, "stride")


def valid_window(geometry: Geometry, image_size: Pair, map_size: Pair, shift: Pair,
                 cell_shift: Pair) -> Tuple[slice, slice]:
    """The cells of the shifted map that are compared with the original map moved by `cell_shift`.

    Cell i of the shifted map qualifies when its receptive field lies inside the moved content of
    the shifted image (rows `max(dy, 0)` to `H - 1 + min(dy, 0)`), and cell `i - cell_shift` of the
    original map has its receptive field inside the image (rows 0 to H - 1); columns likewise.

    Args:
        geometry: the layer's geometry (see `receptive_fields`).
        image_size: (H, W) of the input images.
        map_size: (h, w) of the layer's output map.
        shift: (dy, dx) pixel shift, positive = down / right.
        cell_shift: (cy, cx) cells the original map is moved by.

    Returns:
        `(rows, cols)` slices into the shifted map, possibly empty; the partner cells of the
        original map are the same slices moved by `-cell_shift`.
    """
    return tuple(slice(*_valid_range(j, r, o, n, m, d, c)) for j, r, o, n, m, d, c in zip(
        geometry.stride, geometry.size, geometry.offset, image_size, map_size, shift, cell_shift))


def _valid_range(jump: int, size: int, offset: int, image: int, cells: int, shift: int,
                 cell_shift: int) -> Pair:
    """`(start, stop)` of the valid cells along one axis (see `valid_window`); start == stop when none."""
    low, high = max(shift, 0), image - 1 + min(shift, 0)  # pixels of the shifted image that hold moved content
    start = max(_ceil_div(low - offset, jump), cell_shift + _ceil_div(-offset, jump), 0, cell_shift)
    last = min((high - size + 1 - offset) // jump, cell_shift + (image - size - offset) // jump,
               cells - 1, cells - 1 + cell_shift)
    return start, max(start, last + 1)


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def cell_shift_candidates(shift: int, stride: int) -> List[int]:
    """`[shift // stride]` when stride divides shift, else the two nearest integers (floor first)."""
    low = shift // stride
    return [low] if low * stride == shift else [low, low + 1]


# --- measuring --------------------------------------------------------------------------------------

def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """`max |a - b| / max |b|`: 0.0 if both are all zero, inf if only b is, nan if they are empty."""
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
    images = _check_images(images)
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
    images = _check_images(images)
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
                         layer_indices: Sequence[int]) -> List[MapComparison]:
    """The maps of chosen layers for one image and its shifted copy, and the original's maps moved.

    Args:
        model: a Sequential whose input is the image.
        image: (C, H, W) or (1, C, H, W) image.
        dy, dx: the pixel shift (positive = down / right).
        layer_indices: positions of layers with a spatial map (e.g. the convolutions).

    Returns:
        One `MapComparison` per index, with the cell shift chosen as in `equivariance_errors`.

    Raises:
        ValueError: if an index is out of range or its layer has no spatial map.
    """
    image = np.asarray(image)
    images = _check_images(image[None] if image.ndim == 3 else image)
    if len(images) != 1:
        raise ValueError(f"image must be one image (C, H, W) or (1, C, H, W), got shape {image.shape}")
    shift = (check_int(dy, "dy"), check_int(dx, "dx"))
    geometries = receptive_fields(model)
    originals = layer_outputs(model, images)
    shifted = layer_outputs(model, shift_images(images, *shift))
    comparisons = []
    for index in layer_indices:
        index = check_int(index, "layer index")
        if not 0 <= index < len(geometries) or geometries[index] is None:
            raise ValueError(f"layer_indices must name layers with a spatial map, got {index}")
        geometry, name = geometries[index], type(model.modules[index]).__name__
        cells, error, _ = _best_alignment(shifted[index], originals[index], geometry, images.shape[2:], shift)
        window = valid_window(geometry, images.shape[2:], shifted[index].shape[2:], shift, cells)
        moved = shift_images(originals[index], *cells)[0]  # (C, h, w)
        comparisons.append(MapComparison(index, name, geometry.stride, cells, originals[index][0],
                                         shifted[index][0], moved, window, error))
    return comparisons


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
    images = _check_images(images)
    if check_int(max_shift, "max_shift") < 0:
        raise ValueError(f"max_shift must be >= 0, got {max_shift}")
    pairs, batch_size = check_positive_int(pairs, "pairs"), check_positive_int(batch_size, "batch_size")
    rng = np.random.default_rng(0) if rng is None else rng
    size = (pairs, 2, len(images), 2)
    if isinstance(rng, np.random.Generator):
        offsets = rng.integers(-max_shift, max_shift + 1, size=size)  # (pairs, 2, N, 2): two (dy, dx) each
    elif isinstance(rng, np.random.RandomState):
        offsets = rng.randint(-max_shift, max_shift + 1, size=size)
    else:
        raise TypeError(f"rng must be a numpy Generator or RandomState, got {type(rng).__name__}")
    same = np.empty((pairs, len(images)), dtype=bool)
    with eval_mode(model):
        for start in range(0, len(images), batch_size):
            chunk = slice(start, start + batch_size)
            for p in range(pairs):
                first = _predict(model, shift_each(images[chunk], offsets[p, 0, chunk]))
                second = _predict(model, shift_each(images[chunk], offsets[p, 1, chunk]))
                same[p, chunk] = first == second
    return float(same.mean())


def layer_outputs(model: Sequential, images: np.ndarray) -> List[np.ndarray]:
    """Every module's output for `images`, in order, computed in evaluation mode (modes restored)."""
    _check_model(model)
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
        if not _is_window(module) and a.shape[2:] != previous_size:
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


def _predict(model: Module, images: np.ndarray) -> np.ndarray:
    """Predicted class per image, (N,)."""
    scores = np.asarray(model(images))
    return scores.reshape(len(images), -1).argmax(axis=1)


def _check_model(model) -> None:
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential, got {type(model).__name__}")


def _check_images(images) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[0] == 0:
        raise ValueError(f"images must have shape (N, C, H, W) with N >= 1, got shape {images.shape}")
    if images.dtype == bool or not np.issubdtype(images.dtype, np.number) \
            or np.issubdtype(images.dtype, np.complexfloating):
        raise TypeError(f"images must be real-valued, got dtype {images.dtype}")
    return images
