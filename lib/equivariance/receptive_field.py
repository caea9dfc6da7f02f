"""Receptive-field geometry of a CNN: where each layer's output cells look in the input image, and
which cells of a shifted map can be compared with the original's.

The equivariance lab (`lib.equivariance.measure`) compares a layer's maps for an image and its shifted copy
over these cells. Everything here follows from the modules' `kernel_size`, `stride` and `padding`
attributes alone, without running the model.

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

Shape letters: H, W image height and width, h, w map height and width.
"""
from __future__ import annotations

from typing import List, NamedTuple, Optional, Tuple

from lib.checks import check_int_pair
from lib.convolutions import Flatten
from lib.equivariance.layer_outputs import check_model
from lib.network import Linear, Sequential
from lib.network_base import Module
from lib.pooling import GlobalAvgPool2d

_SPATIAL_END = (Flatten, GlobalAvgPool2d, Linear)  # modules whose output is no longer a map

Pair = Tuple[int, int]


class Geometry(NamedTuple):
    """Where a layer's output cells look in the input image, per axis (height, width).

    Output cell (i, j) sees rows `offset[0] + i*stride[0]` to `offset[0] + i*stride[0] + size[0] - 1`
    of the image, and the columns likewise.
    """
    stride: Pair  # cumulative stride J: image pixels between neighbouring cells
    size: Pair  # receptive-field size R in pixels
    offset: Pair  # S: first image pixel seen by cell 0 (negative where it reaches into zero padding)


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
    check_model(model)
    geometry: Optional[Geometry] = Geometry((1, 1), (1, 1), (0, 0))
    geometries = []
    for module in model.modules:
        if geometry is not None:
            geometry = None if isinstance(module, _SPATIAL_END) else _after(geometry, module)
        geometries.append(geometry)
    return geometries


def _after(geometry: Geometry, module: Module) -> Geometry:
    """The geometry of `module`'s output given that of its input."""
    if not is_window(module):
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


def is_window(module: Module) -> bool:
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
