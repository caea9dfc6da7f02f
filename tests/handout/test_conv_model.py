"""Tests of `create_conv_model`: the course's CNN, read from the model's layers and parameters only.

The model is never run, so these tests do not depend on `Conv2d.forward`. Expected:
Sequential(Conv2d(1, 5, (4, 4), (2, 2), (1, 1)), ReLU(), Conv2d(5, 10, (4, 4), (2, 2), (1, 1)), ReLU(),
Flatten(), Linear(490, 10)): each convolution halves the image (28 -> 14 -> 7), and 10 * 7 * 7 = 490.
"""
import pytest

from lib.activations import ReLU
from lib.convolutions import Conv2d, Flatten
from lib.experiments import create_conv_model
from lib.network import Linear, Sequential
from lib.network_base import Module

pytestmark = pytest.mark.gap("conv_model")

LAYER_TYPES = [Conv2d, ReLU, Conv2d, ReLU, Flatten, Linear]
EXPECTED = "Sequential(Conv2d(1, 5, ...), ReLU(), Conv2d(5, 10, ...), ReLU(), Flatten(), Linear(490, 10))"


def pair(value):
    """A layer setting as a (height, width) tuple, whether it was stored as one int, a tuple or a list."""
    return (value, value) if isinstance(value, int) else tuple(value)


def layers():
    model = create_conv_model()
    assert isinstance(model, Sequential), (
        f"create_conv_model should return a Sequential of the layers, {EXPECTED}; got {type(model).__name__}")
    return model.modules


def test_returns_a_module():
    model = create_conv_model()
    assert isinstance(model, Module), f"create_conv_model should return the model (a Module), got {model!r}"


def test_the_layers_and_their_order():
    names = [type(layer).__name__ for layer in layers()]
    assert names == [t.__name__ for t in LAYER_TYPES], (
        f"the CNN's layers should be Conv2d, ReLU, Conv2d, ReLU, Flatten, Linear in this order, got {names}")
    for layer, expected_type in zip(layers(), LAYER_TYPES):
        assert isinstance(layer, expected_type), f"{layer!r} should be a {expected_type.__name__} of the course's lib"


def test_the_two_relus_are_separate_layers():
    model_layers = layers()
    assert len(model_layers) == 6, f"expected 6 layers ({EXPECTED}), got {len(model_layers)}"
    assert model_layers[1] is not model_layers[3], (
        "both activations are the same ReLU object: every layer caches its input for backward, so each position "
        "needs its own ReLU()")


@pytest.mark.parametrize("position, in_channels, out_channels", [(0, 1, 5), (2, 5, 10)])
def test_the_channels_of_each_convolution(position, in_channels, out_channels):
    model_layers = layers()
    assert len(model_layers) == 6, f"expected 6 layers ({EXPECTED}), got {len(model_layers)}"
    conv = model_layers[position]
    assert isinstance(conv, Conv2d), f"layer {position} should be a Conv2d, got {conv!r}"
    which = "first" if position == 0 else "second"
    assert (conv.in_channels, conv.out_channels) == (in_channels, out_channels), (
        f"the {which} convolution should go from {in_channels} to {out_channels} channels (n_filters_conv"
        f"{1 if position == 0 else 2} filters), got in_channels={conv.in_channels}, out_channels={conv.out_channels}")


@pytest.mark.parametrize("position", [0, 2])
def test_each_convolution_has_kernel_4x4_stride_2_and_padding_1(position):
    model_layers = layers()
    assert len(model_layers) == 6, f"expected 6 layers ({EXPECTED}), got {len(model_layers)}"
    conv = model_layers[position]
    assert isinstance(conv, Conv2d), f"layer {position} should be a Conv2d, got {conv!r}"
    settings = {"kernel_size": pair(conv.kernel_size), "stride": pair(conv.stride), "padding": pair(conv.pad)}
    assert settings == {"kernel_size": (4, 4), "stride": (2, 2), "padding": (1, 1)}, (
        f"every convolution uses kernel_size (4, 4), stride (2, 2) and padding (1, 1) (the names defined before "
        f"the gap), but layer {position} has {settings}")


def test_the_linear_layer_maps_490_features_to_10_classes():
    model_layers = layers()
    linear = model_layers[-1]
    assert isinstance(linear, Linear), f"the last layer should be Linear(490, 10), got {linear!r}"
    assert linear.W.data.shape == (490, 10) and linear.b.data.shape == (10,), (
        f"the last layer should be Linear(490, 10): the second convolution gives 10 maps of 7x7 (28 -> 14 -> 7), "
        f"10 * 7 * 7 = 490 features, and there are 10 classes; got W of shape {linear.W.data.shape} and b of "
        f"shape {linear.b.data.shape}")


def test_the_parameter_shapes():
    shapes = [tuple(p.data.shape) for p in create_conv_model().parameters()]
    assert shapes == [(5, 1, 4, 4), (5, 1, 1), (10, 5, 4, 4), (10, 1, 1), (490, 10), (10,)], (
        f"the model's parameters should have the shapes (5, 1, 4, 4), (5, 1, 1), (10, 5, 4, 4), (10, 1, 1), "
        f"(490, 10), (10,) (filters and bias of both convolutions, then the linear layer), got {shapes}")
