"""Conv2d's fast path: the layer's forward and backward as matrix products of patch matrices.

Shape letters: N = batch size, C = channels, F = filters, HP, WP = padded height and width,
KH, KW = kernel height and width, OH, OW = output height and width, P = OH * OW * N.

`lib.convolutions.Conv2d` computes the course's textbook forward (two loops over the output positions,
the exercise's gap) and the course's backward; this module computes the same values many times faster,
and `Conv2d` uses it unless `Conv2d.fast_path` is False (the tests compare the two, and both with
PyTorch). As matrices: every window of the padded input xp is a column of `im2col(xp)` (C*KH*KW, P),
every filter a row of `W_matrix` (F, C*KH*KW), and

    forward:   out = W_matrix @ im2col(xp) + b
    backward:  W.grad += grad @ im2col(xp)^T,  b.grad += grad summed over N, OH, OW,
               dx = col2im(W_matrix^T @ grad)  (every window's gradient added back where it was read).

The padded input lives in a (C, HP, WP, N) array, batch innermost (the layout im2col copies fastest);
`input_cache` is its (N, C, HP, WP) view, or x itself without padding. How the products are made fast
(BLAS call sizes, blocks of output rows, one reused buffer) is `lib/kernels/conv.py`'s business.
Memory beyond x, the output and the returned gradient: the padded input, in training the patch matrix
(about KH*KW / (SH*SW) times the input) until backward, a copy of the output gradient, and the padded
input gradient.
"""
from __future__ import annotations

import numpy as np

from lib.checks import check_backward_grad
from lib.kernels.conv import Scratch, im2col_matmul, matmul_col2im, weight_grad_matmul
from lib.kernels.im2col import im2col, pad_batch_inner, unpad_to_batch_first


class FastConv2d:
    """The fast forward and backward of one `Conv2d` layer, with what they keep between the two.

    Attributes:
        patches: im2col(xp) of the last training forward, (C*KH*KW, P), until the weight gradient used it.
        scratch: memory for im2col and the patch gradient, reused from call to call.
        dtype: compute dtype of the last forward (numpy's result type of x and W).
        output_shape: (N, F, OH, OW) of the last forward, which backward's grad must have.
    """

    def __init__(self):
        self.patches = None
        self.scratch = Scratch()
        self.dtype = None
        self.output_shape = None

    def forward(self, layer, x: np.ndarray) -> np.ndarray:
        """`out = W_matrix @ im2col(x_padded) + b` for a checked (N, C, H, W) x; sets `layer.input_cache`.

        Returns:
            (N, F, OH, OW) output in the result dtype of x and W (float32 stays float32), a view of an
            (F, OH, OW, N) array (the layout the next layer reads fastest).
        """
        n, f, oh, ow = layer._compute_output_shape(x.shape)
        dtype = np.result_type(x.dtype, layer.W.data.dtype)
        xp = pad_batch_inner(x, layer.pad)  # (C, HP, WP, N): zero-padded, batch innermost
        layer.input_cache = x if layer.pad == (0, 0) else xp.transpose(3, 0, 1, 2)  # (N, C, HP, WP)
        weights = layer.W.data.reshape(f, -1).astype(dtype, copy=False)  # W_matrix (F, C*KH*KW)
        # The patches im2col(xp) (C*KH*KW, P) times the filters: (F, P), P = OH*OW*N
        out, self.patches = im2col_matmul(weights, xp, layer.kernel_size, layer.stride, (oh, ow),
                                          keep_patches=layer.training, scratch=self.scratch)
        if layer.b is not None:
            out += layer.b.data.reshape(f, 1)  # one bias per filter
        self.dtype, self.output_shape = dtype, (n, f, oh, ow)
        return out.reshape(f, oh, ow, n).transpose(3, 0, 1, 2)  # (N, F, OH, OW) view

    def backward(self, layer, grad: np.ndarray) -> np.ndarray:
        """Accumulate the parameter gradients; return `col2im(W_matrix^T @ grad)`, the (N, C, H, W) input gradient.

        The input gradient is a view of a (C, HP, WP, N) array, in the result dtype of grad, x and W.
        """
        grad_matrix = self.param_grads(layer, grad)  # W.grad, b.grad; grad as (F, P)
        # The patches' gradient W_matrix^T @ grad, added back where each patch was read: (C, HP, WP, N)
        grad_xp = matmul_col2im(layer.W.data, grad_matrix, layer.input_cache.shape, layer.stride,
                                self.output_shape[2:], self.scratch)
        return unpad_to_batch_first(grad_xp, layer.pad)  # (N, C, H, W) view

    def param_grads(self, layer, grad: np.ndarray) -> np.ndarray:
        """`W.grad += grad @ patches^T` and `b.grad += sum of grad`; return grad as an (F, P) matrix.

        Releases the cached patch matrix (a second backward after the same forward rebuilds it).

        Raises:
            RuntimeError: if called before forward.
            ValueError: if grad does not have the output's shape.
        """
        grad = check_backward_grad(layer, grad, self.output_shape)
        n, f, oh, ow = self.output_shape
        dtype = np.result_type(grad.dtype, self.dtype)
        grad_matrix = np.ascontiguousarray(grad.transpose(1, 2, 3, 0), dtype=dtype).reshape(f, -1)  # (F, P)
        patches = self.patches
        if patches is None:  # eval mode, or a second backward after the same forward
            patches = im2col(layer.input_cache.transpose(1, 2, 3, 0), layer.kernel_size, layer.stride, (oh, ow), dtype)
        layer.W.grad += weight_grad_matmul(grad_matrix, patches, oh).reshape(layer.W.data.shape)  # (F, C, KH, KW)
        if layer.b is not None:
            layer.b.grad += grad_matrix.sum(axis=1).reshape(f, 1, 1)  # summed over N, OH and OW
        self.patches = None  # free the patch matrix before backward builds the patch gradient
        return grad_matrix
