"""The promises of `lib/kernels/conv.py` that Conv2d's values cannot show.

How large the blocks of output rows are, which buffer a layer reuses, when a product runs as one BLAS
call per output row, and that a float32 layer computes in float32 throughout: broken, each would still
give the right numbers (only slower, larger, or rounded differently), so these tests watch the kernel's
calls (`recording.record`) instead of its results. In every product of a layer, one output row costs
the same number of multiply-adds, F * C*KH*KW * OW*N, and the same bytes per block row,
C*KH*KW * OW*N * itemsize.
"""
import numpy as np
import pytest

from lib.kernels import conv_layer
from lib.convolutions import Conv2d, calculate_conv_output
from lib.kernels import conv as conv_kernels
from lib.kernels.conv import Scratch, im2col_matmul
from lib.kernels.im2col import pad_batch_inner
from recording import record

N, C, F, H, W, KERNEL = 4, 3, 2, 12, 3, (2, 2)
OH, OW = calculate_conv_output((H, W), KERNEL, (1, 1), (0, 0))  # 11, 2: fewer columns than rows in a block
K = C * KERNEL[0] * KERNEL[1]  # 12 window entries, more than the F = 2 filters
ROW_MACS = F * K * OW * N  # multiply-adds of one output row, in each of the three products
ROW_BYTES = K * OW * N * 4  # bytes of one output row of a float32 patch (or patch-gradient) block


def float32_layer():
    """A float32 Conv2d with random filters and bias, and a float32 input of the shape above."""
    rng = np.random.default_rng(20)
    layer = Conv2d(C, F, KERNEL).to(np.float32)
    layer.W.data[...] = rng.standard_normal(layer.W.data.shape)
    layer.b.data[...] = rng.standard_normal(layer.b.data.shape)
    return layer, rng.standard_normal((N, C, H, W)).astype(np.float32)


@pytest.mark.parametrize("max_macs, by_row", [(ROW_MACS, True), (ROW_MACS - 1, False)])
def test_every_product_runs_one_blas_call_per_output_row_while_the_multiply_adds_of_one_row_fit(
        monkeypatch, max_macs, by_row):
    monkeypatch.setattr(conv_kernels, "ROW_PRODUCT_MAX_MACS", max_macs)
    stacks = []
    record(monkeypatch, conv_kernels, "_stack", stacks,
           keep=lambda a: (a["matrix"].shape[1] // a["out_h"], a["by_row"]))
    layer, x = float32_layer()
    layer.backward(np.ones(layer(x).shape, dtype=np.float32))  # forward, weight gradient, patch gradient
    layer.eval()(x)  # forward by blocks
    assert stacks == [(OW * N, by_row)] * 8  # each of the four products stacks both of its operands


def test_an_evaluation_forward_copies_the_patches_a_block_of_as_many_rows_as_fit_at_a_time(monkeypatch):
    monkeypatch.setattr(conv_kernels, "BLOCK_BYTES", 4 * ROW_BYTES - 1)  # room for 3 output rows
    blocks = []
    record(monkeypatch, conv_kernels, "im2col", blocks, keep=lambda a: (a["rows"], a["out"]))
    layer, x = float32_layer()
    layer.eval()(x)
    assert [rows for rows, _ in blocks] == [(first, min(first + 3, OH)) for first in range(0, OH, 3)]
    buffer = blocks[0][1]
    assert all(out is buffer for _, out in blocks)  # one buffer for every block
    assert buffer.dtype == np.float32 and buffer.shape == (K * 3 * OW * N,)  # of one block's patches


def test_backward_builds_the_patch_gradient_a_block_of_as_many_rows_as_fit_at_a_time(monkeypatch):
    monkeypatch.setattr(conv_kernels, "BLOCK_BYTES", 4 * ROW_BYTES - 1)
    blocks, products = [], []
    record(monkeypatch, conv_kernels, "col2im_add", blocks,
           keep=lambda a: (a["first_row"], a["window_grads"].shape, a["window_grads"].dtype))
    record(monkeypatch, conv_kernels, "_matmul_by_rows", products,
           keep=lambda a: (a["a"].dtype, a["b"].dtype, a["out"].dtype))
    layer, x = float32_layer()
    layer.backward(np.ones(layer(x).shape, dtype=np.float32))
    rows = [min(3, OH - first) for first in range(0, OH, 3)]
    assert blocks == [(first, (2, 2, C, r, OW, N), np.float32) for first, r in zip(range(0, OH, 3), rows)]
    assert products == [(np.float32, np.float32, np.float32)] * (1 + len(rows))  # the forward's, then each block's


@pytest.mark.parametrize("block_bytes, rows", [(ROW_BYTES - 1, [1] * OH), (100 * ROW_BYTES, [OH])])
def test_a_block_holds_at_least_one_row_and_at_most_every_row(monkeypatch, block_bytes, rows):
    monkeypatch.setattr(conv_kernels, "BLOCK_BYTES", block_bytes)
    blocks = []
    record(monkeypatch, conv_kernels, "col2im_add", blocks, keep=lambda a: a["window_grads"].shape[3])
    layer, x = float32_layer()
    layer.backward(np.ones(layer(x).shape, dtype=np.float32))
    assert blocks == rows


def test_im2col_matmul_keeps_the_patch_matrix_of_a_training_forward_in_the_scratch_buffer():
    layer, x = float32_layer()
    weights = layer.W.data.reshape(F, K)
    scratch = Scratch()
    xp = pad_batch_inner(x, (0, 0))
    _, patches = im2col_matmul(weights, xp, KERNEL, (1, 1), (OH, OW), keep_patches=True, scratch=scratch)
    assert patches.shape == (K, OH * OW * N) and patches.dtype == np.float32
    buffer = scratch.get(patches.size, np.float32)
    assert np.shares_memory(patches, buffer)
    _, again = im2col_matmul(weights, xp, KERNEL, (1, 1), (OH, OW), keep_patches=True, scratch=scratch)
    assert np.shares_memory(again, buffer)  # the next forward writes into the same memory
    assert im2col_matmul(weights, xp, KERNEL, (1, 1), (OH, OW), keep_patches=False, scratch=scratch)[1] is None


def test_scratch_hands_out_its_buffer_again_while_it_is_large_enough_and_of_the_dtype_asked_for():
    scratch = Scratch()
    buffer = scratch.get(10, np.float32)
    assert buffer.dtype == np.float32 and buffer.shape == (10,)
    assert scratch.get(10, np.float32) is buffer and scratch.get(4, np.float32) is buffer
    wider = scratch.get(10, np.float64)
    assert wider.dtype == np.float64 and wider.shape == (10,)
    larger = scratch.get(11, np.float64)
    assert larger is not wider and larger.shape == (11,) and larger.dtype == np.float64


def test_the_weight_gradient_reuses_the_patch_matrix_of_a_training_forward(monkeypatch):
    rebuilt = []
    record(monkeypatch, conv_layer, "im2col", rebuilt, keep=lambda a: a["dtype"])
    layer, x = float32_layer()
    grad = np.ones(layer(x).shape, dtype=np.float32)
    layer.backward(grad)
    assert rebuilt == []  # the training forward's patches, not a second copy
    layer.backward(grad)  # a second backward after the same forward rebuilds them, once
    layer.eval()(x)
    layer.backward(grad)  # and so does a backward after an evaluation forward, which kept none
    assert rebuilt == [np.float32, np.float32]
