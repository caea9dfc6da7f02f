"""Model builders beyond the course's own: the course MLP as a builder, the study's GAP, max- and blur-pooling CNNs.

The course's CNN is the course's gap `lib.experiments.create_conv_model`; the MLP the course trains inside
`run_shifted_conv_experiment` is `create_mlp` here, for the studies (a test checks that the two agree).
The builders draw initial weights from the global `np.random` stream in layer order, as the course's
layers do, so `np.random.seed(s)` right before a builder fixes the model.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from lib.activations import ReLU
from lib.checks import check_positive_int
from lib.convolutions import Conv2d, Flatten
from lib.network import Linear, Sequential
from lib.network_base import Module
from lib.pooling import BlurPool2d, GlobalAvgPool2d, MaxPool2d

LINEAR_UNITS = 30  # hidden units of the course's MLP
GAP_CHANNELS = (16, 32, 64)


def create_mlp(linear_units: int = LINEAR_UNITS) -> Module:
    """Build the course's MLP for flattened 28x28 images: `Linear(784, units), ReLU, Linear(units, 10)`."""
    return Sequential(Linear(28 * 28, linear_units), ReLU(), Linear(linear_units, 10))


def create_gap_cnn(channels: Sequence[int] = GAP_CHANNELS) -> Module:
    """A CNN with a global-average-pooling head: the classifier never sees where a feature was.

    Conv 4x4 stride 2 (28 -> 14), conv 4x4 stride 2 (14 -> 7), conv 3x3 stride 1 (7 -> 7), each with
    padding 1 and ReLU, then the mean of every map and a linear layer. The course's two small convs
    (5 and 10 maps) with this head underfit at about 0.85, hence the wider default.

    Args:
        channels: the three numbers of feature maps.

    Returns:
        `Sequential(Conv2d, ReLU, Conv2d, ReLU, Conv2d, ReLU, GlobalAvgPool2d, Linear(channels[2], 10))`.
    """
    if isinstance(channels, (str, bytes)) or not hasattr(channels, "__len__") or len(channels) != 3:
        raise ValueError(f"channels must be three numbers of feature maps, got {channels!r}")
    c1, c2, c3 = (check_positive_int(c, f"channels[{i}]") for i, c in enumerate(channels))
    return Sequential(
        Conv2d(1, c1, (4, 4), (2, 2), (1, 1)), ReLU(),  # (N, c1, 14, 14)
        Conv2d(c1, c2, (4, 4), (2, 2), (1, 1)), ReLU(),  # (N, c2, 7, 7)
        Conv2d(c2, c3, (3, 3), (1, 1), (1, 1)), ReLU(),  # (N, c3, 7, 7)
        GlobalAvgPool2d(),  # (N, c3)
        Linear(c3, 10))  # (N, 10)


def create_maxpool_cnn() -> Module:
    """The course CNN with the downsampling moved out of the convolutions: stride-1 3x3 convolutions + max pooling.

    28x28 -> conv 3x3 (5 maps) -> max 2x2 -> 14x14 -> conv 3x3 (10 maps) -> max 2x2 -> 7x7 -> Linear(490, 10),
    the same map sizes and head as the course CNN.
    """
    return Sequential(
        Conv2d(1, 5, (3, 3), (1, 1), (1, 1)), ReLU(), MaxPool2d(2),  # (N, 5, 14, 14)
        Conv2d(5, 10, (3, 3), (1, 1), (1, 1)), ReLU(), MaxPool2d(2),  # (N, 10, 7, 7)
        Flatten(), Linear(10 * 7 * 7, 10))  # (N, 10)


def create_blurpool_cnn() -> Module:
    """The course CNN anti-aliased in Zhang's recipe: each strided convolution becomes a stride-1 convolution,
    ReLU, then `BlurPool2d` (a binomial low-pass filter, then subsampling by 2).

    28x28 -> conv 3x3 (5 maps) -> blur-pool -> 14x14 -> conv 3x3 (10 maps) -> blur-pool -> 7x7 -> Linear(490, 10).
    """
    return Sequential(
        Conv2d(1, 5, (3, 3), (1, 1), (1, 1)), ReLU(), BlurPool2d(5),  # (N, 5, 14, 14)
        Conv2d(5, 10, (3, 3), (1, 1), (1, 1)), ReLU(), BlurPool2d(10),  # (N, 10, 7, 7)
        Flatten(), Linear(10 * 7 * 7, 10))  # (N, 10)


def create_maxblurpool_cnn() -> Module:
    """`create_maxpool_cnn` anti-aliased in Zhang's recipe: each max pooling becomes max with stride 1 + `BlurPool2d`.

    The stride-1 max pooling (2x2, padding 0) makes the maps one pixel smaller: 28 -> 27 -> blur-pool -> 14,
    14 -> 13 -> blur-pool -> 7, so the head is the same Linear(490, 10).
    """
    return Sequential(
        Conv2d(1, 5, (3, 3), (1, 1), (1, 1)), ReLU(), MaxPool2d(2, stride=1), BlurPool2d(5),  # (N, 5, 14, 14)
        Conv2d(5, 10, (3, 3), (1, 1), (1, 1)), ReLU(), MaxPool2d(2, stride=1), BlurPool2d(10),  # (N, 10, 7, 7)
        Flatten(), Linear(10 * 7 * 7, 10))  # (N, 10)


def flatten_images(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) images as the (N, C*H*W) rows an MLP takes (a view where possible)."""
    x = np.asarray(x)
    return x.reshape(len(x), -1)
