"""The check that several convolution tests share: a `Conv2d` against the textbook version in `lib.naive_layers`."""
import numpy as np

from lib.naive_layers import conv2d_backward_naive, conv2d_forward_naive


def assert_layer_matches_naive(layer, x: np.ndarray, rng: np.random.Generator, rtol: float = 1e-12) -> np.ndarray:
    """Check a fresh Conv2d's forward, input gradient and parameter gradients against the naive functions.

    Args:
        layer: a `lib.convolutions.Conv2d` whose gradients are still zero (with or without a bias).
        x: (N, C, H, W) input.
        rng: draws the upstream gradient.
        rtol: relative (and absolute) tolerance.

    Returns:
        The layer's (N, F, OH, OW) output.
    """
    bias = None if layer.b is None else layer.b.data
    out = layer(x)
    np.testing.assert_allclose(out, conv2d_forward_naive(x, layer.W.data, bias, layer.stride, layer.pad),
                               rtol=rtol, atol=rtol)
    grad = rng.standard_normal(out.shape)
    dx = layer.backward(grad)
    dx_ref, dw_ref, db_ref = conv2d_backward_naive(x, layer.W.data, grad, layer.stride, layer.pad)
    np.testing.assert_allclose(dx, dx_ref, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(layer.W.grad, dw_ref, rtol=rtol, atol=rtol)
    if layer.b is not None:
        np.testing.assert_allclose(layer.b.grad, db_ref, rtol=rtol, atol=rtol)
    return out
