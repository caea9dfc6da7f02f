"""Specification of BatchNorm2d: PyTorch's values over training and evaluation steps, buffers, gradients, dtypes.

The fixtures in tests/fixtures/batch_norm2d.npz were written by tools/generate_layer_fixtures.py with
PyTorch's nn.BatchNorm2d in float64; the tests never need torch.
"""
import numpy as np
import pytest

from exact_messages import exactly
from layer_fixtures import batch_innermost, load_cases
from lib.convolutions import Conv2d, Flatten
from lib.dropout import Dropout
from lib.network import Linear, Sequential
from lib import normalization
from lib.normalization import BatchNorm2d
from lib.pooling import MaxPool2d
from recording import record

CASES = load_cases("batch_norm2d.npz")


def random_maps(seed, shape, offset=3.0, scale=2.0):
    return offset + scale * np.random.default_rng(seed).standard_normal(shape)


# ------------------------------------------------------------------ interface
def test_parameters_buffers_and_repr_like_pytorch():
    layer = BatchNorm2d(3)
    assert (layer.num_features, layer.eps, layer.momentum, layer.training) == (3, 1e-5, 0.1, True)
    assert [p.name for p in layer.parameters()] == ["weight", "bias"]
    assert layer.parameters() == [layer.weight, layer.bias]
    np.testing.assert_array_equal(layer.weight.data, np.ones(3))
    np.testing.assert_array_equal(layer.bias.data, np.zeros(3))
    names, arrays = zip(*layer.buffers())
    assert names == ("running_mean", "running_var")
    assert arrays[0] is layer.running_mean and arrays[1] is layer.running_var
    np.testing.assert_array_equal(layer.running_mean, np.zeros(3))
    np.testing.assert_array_equal(layer.running_var, np.ones(3))
    assert layer.running_mean.dtype == layer.running_var.dtype == np.float64
    assert repr(layer) == "BatchNorm2d(3, eps=1e-05, momentum=0.1)"
    assert repr(BatchNorm2d(8, eps=1e-3, momentum=0.3)) == "BatchNorm2d(8, eps=0.001, momentum=0.3)"


# ------------------------------------------------------------------ values against PyTorch
def test_fixtures_cover_training_then_evaluation_and_alternating_modes():
    assert len(CASES) >= 5
    assert any(list(case["modes"]) == sorted(case["modes"], reverse=True) and 0 in case["modes"] for case in CASES)
    assert any(list(case["modes"][:4]) == [1, 0, 1, 0] or list(case["modes"][1:5]) == [1, 0, 1, 0] for case in CASES)
    shapes = [case["step00/x"].shape for case in CASES]
    assert any(s[0] == 1 for s in shapes) and any(s[1] == 1 for s in shapes) and any(s[2:] == (1, 1) for s in shapes)
    assert {0.0, 1.0} <= {float(case["momentum"]) for case in CASES}


@pytest.mark.parametrize("index", range(len(CASES)))
def test_every_step_matches_pytorch(index):
    case = CASES[index]
    layer = BatchNorm2d(case["weight"].size, eps=float(case["eps"]), momentum=float(case["momentum"]))
    layer.weight.data[...] = case["weight"]
    layer.bias.data[...] = case["bias"]
    for step, mode in enumerate(case["modes"]):
        arrays = {name.split("/")[1]: value for name, value in case.items() if name.startswith(f"step{step:02d}/")}
        layer.train(bool(mode))
        layer._zero_grad()
        x = arrays["x"] if step % 2 else batch_innermost(arrays["x"])  # both memory layouts
        np.testing.assert_allclose(layer(x), arrays["out"], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(layer.backward(arrays["grad_out"]), arrays["grad_x"], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(layer.weight.grad, arrays["grad_weight"], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(layer.bias.grad, arrays["grad_bias"], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(layer.running_mean, arrays["running_mean"], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer.running_var, arrays["running_var"], rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------ semantics
def test_training_normalises_each_channel_with_the_batch_statistics():
    x = random_maps(0, (4, 3, 5, 5)) * np.array([1.0, 10.0, 0.1]).reshape(1, 3, 1, 1)
    out = BatchNorm2d(3)(x)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1.0, rtol=1e-3)  # biased variance + eps


def test_running_statistics_are_updated_in_place_with_the_unbiased_variance():
    layer = BatchNorm2d(2, momentum=0.25)
    mean_buffer, var_buffer = layer.running_mean, layer.running_var
    x = random_maps(1, (3, 2, 2, 2))
    layer(x)
    assert layer.running_mean is mean_buffer and layer.running_var is var_buffer
    np.testing.assert_allclose(mean_buffer, 0.25 * x.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(var_buffer, 0.75 + 0.25 * x.var(axis=(0, 2, 3), ddof=1))


def test_eval_mode_uses_the_running_statistics_and_leaves_them_alone():
    layer = BatchNorm2d(2)
    np.copyto(layer.running_mean, [1.0, -2.0])  # as a loader copies saved buffers into the very arrays
    np.copyto(layer.running_var, [4.0, 0.25])
    layer.weight.data[...] = [2.0, 3.0]
    layer.bias.data[...] = [0.5, -0.5]
    layer.eval()
    x = random_maps(2, (3, 2, 4, 4))
    out = layer(x)
    mean, var = np.array([1.0, -2.0]).reshape(2, 1, 1), np.array([4.0, 0.25]).reshape(2, 1, 1)
    weight, bias = np.array([2.0, 3.0]).reshape(2, 1, 1), np.array([0.5, -0.5]).reshape(2, 1, 1)
    expected = (x - mean) / np.sqrt(var + 1e-5) * weight + bias
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    np.testing.assert_array_equal(layer.running_mean, [1.0, -2.0])
    np.testing.assert_allclose(layer(x[:1]), out[:1], rtol=1e-12)  # an image's output no longer depends on its batch
    assert layer(np.ones((1, 2, 1, 1))).shape == (1, 2, 1, 1)  # one value per channel is fine in eval mode


def test_backward_follows_the_mode_of_the_last_forward():
    x, grad = random_maps(3, (2, 2, 3, 3)), np.random.default_rng(4).standard_normal((2, 2, 3, 3))
    reference = BatchNorm2d(2)
    reference(x)
    expected = reference.backward(grad)
    layer = BatchNorm2d(2)
    layer(x)
    layer.eval()  # switching modes between forward and backward changes nothing for this backward
    np.testing.assert_allclose(layer.backward(grad), expected, rtol=1e-12)


def test_gradients_accumulate_across_backward_calls():
    layer = BatchNorm2d(2)
    x, grad = random_maps(5, (2, 2, 3, 3)), np.random.default_rng(6).standard_normal((2, 2, 3, 3))
    layer(x)
    layer.backward(grad)
    once = layer.weight.grad.copy(), layer.bias.grad.copy()
    layer.backward(grad)
    np.testing.assert_allclose(layer.weight.grad, 2 * once[0])
    np.testing.assert_allclose(layer.bias.grad, 2 * once[1])


# ------------------------------------------------------------------ gradient checks
@pytest.mark.parametrize("shape", [(4, 3, 3, 2), (1, 2, 2, 3), (5, 1, 1, 1)])
def test_gradient_check_in_training_mode(shape):
    layer = BatchNorm2d(shape[1])
    layer.weight.data = 1.0 + np.random.default_rng(7).standard_normal(shape[1])
    layer.bias.data = np.random.default_rng(8).standard_normal(shape[1])
    layer.check_gradients((random_maps(9, shape),))
    # All-ones weights make the true input gradient zero in training mode (every term subtracting a batch
    # mean cancels), so only a random upstream gradient checks the terms through the batch statistics.
    layer.check_gradients((random_maps(9, shape),), upstream_seed=12)


def test_gradient_check_in_eval_mode():
    layer = BatchNorm2d(3).eval()
    layer.running_mean[...] = [0.5, -1.0, 2.0]
    layer.running_var[...] = [2.0, 0.5, 1.5]
    layer.weight.data = np.array([1.5, -0.5, 2.0])
    layer.check_gradients((random_maps(10, (2, 3, 3, 3)),))
    layer.check_gradients((random_maps(10, (2, 3, 3, 3)),), upstream_seed=13)


def test_gradient_check_inside_a_network():
    np.random.seed(3)
    network = Sequential(Conv2d(2, 3, 3, padding=1), BatchNorm2d(3), Conv2d(3, 2, 2, 2), BatchNorm2d(2), Flatten(),
                         Linear(2 * 2 * 2, 2))
    network.check_gradients((random_maps(11, (3, 2, 4, 4)),))
    network.check_gradients((random_maps(11, (3, 2, 4, 4)),), upstream_seed=14)


# ------------------------------------------------------------------ dtypes and layouts
def test_float32_stays_float32_and_agrees_with_float64():
    x64, grad64 = random_maps(12, (8, 3, 5, 5)), np.random.default_rng(13).standard_normal((8, 3, 5, 5))
    layer32, layer64 = BatchNorm2d(3), BatchNorm2d(3)
    out32 = layer32(x64.astype(np.float32))
    grad_x32 = layer32.backward(grad64.astype(np.float32))
    assert out32.dtype == grad_x32.dtype == np.float32
    assert layer32.running_mean.dtype == np.float64 and layer32.weight.grad.dtype == np.float64
    np.testing.assert_allclose(out32, layer64(x64), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grad_x32, layer64.backward(grad64), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer32.running_var, layer64.running_var, rtol=1e-6)
    layer32.eval()
    assert layer32(x64.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("x_dtype, grad_dtype, expected", [
    (np.float32, np.float32, np.float32), (np.float32, np.float64, np.float64), (np.float64, np.float32, np.float64),
])
def test_the_input_gradient_has_the_result_dtype_of_grad_and_x(training, x_dtype, grad_dtype, expected):
    layer = BatchNorm2d(3)
    layer.weight.data = np.array([1.5, -0.5, 2.0])
    layer.train(training)
    out = layer(random_maps(16, (4, 3, 2, 3)).astype(x_dtype))
    assert out.dtype == x_dtype
    grad = np.random.default_rng(18).standard_normal(out.shape)
    assert layer.backward(grad.astype(grad_dtype)).dtype == expected
    assert layer.weight.grad.dtype == layer.bias.grad.dtype == np.float64


def test_a_float32_layer_rounds_every_float64_statistic_to_float32_before_it_meets_the_batch(monkeypatch):
    # Mean, variance and the gradient's sums are float64 (C,) vectors; each goes into the (N, C, H, W)
    # arithmetic through per_channel, which rounds it once. Done in float64 instead, every value would
    # still agree with float64 to float32's precision, so only the dtype asked for can show it.
    asked = []
    record(monkeypatch, normalization, "per_channel", asked, keep=lambda arguments: arguments["dtype"])
    layer = BatchNorm2d(3)
    x, grad = random_maps(19, (4, 3, 2, 2)).astype(np.float32), np.ones((4, 3, 2, 2), dtype=np.float32)
    for training in (True, False):  # training: mean and inv_std, then backward's sums; eval: backward's
        asked.clear()
        layer.train(training)
        layer(x)
        layer.backward(grad)
        assert asked and set(asked) == {np.dtype(np.float32)}


def test_float32_parameters_and_integer_inputs():
    layer = BatchNorm2d(2)
    layer.weight.data = layer.weight.data.astype(np.float32)
    layer.bias.data = layer.bias.data.astype(np.float32)
    assert layer(random_maps(14, (2, 2, 3, 3)).astype(np.float32)).dtype == np.float32
    assert layer(np.arange(36).reshape(2, 2, 3, 3)).dtype == np.float64


def test_output_keeps_the_memory_layout_of_the_input():
    x = batch_innermost(random_maps(15, (4, 3, 2, 2)))
    layer = BatchNorm2d(3)
    assert layer(x).transpose(1, 2, 3, 0).flags.c_contiguous
    assert layer.backward(np.ones(x.shape)).shape == x.shape


# ------------------------------------------------------------------ modes inside a network
def test_train_and_eval_switch_every_layer_of_a_sequential():
    np.random.seed(4)
    network = Sequential(Conv2d(1, 4, 3, padding=1), BatchNorm2d(4), MaxPool2d(2), Dropout(0.5, rng=0), Flatten(),
                         Linear(4 * 2 * 2, 3))
    x = random_maps(16, (6, 1, 4, 4))
    network(x)
    batch_norm = network.modules[1]
    trained_mean = batch_norm.running_mean.copy()
    network.eval()
    assert not any(module.training for module in network.modules)
    first = network(x)
    np.testing.assert_array_equal(network(x), first)  # no dropout, no batch statistics
    np.testing.assert_array_equal(network(x[:2]), first[:2])
    np.testing.assert_array_equal(batch_norm.running_mean, trained_mean)
    network.train()
    assert all(module.training for module in network.modules)
    network(x)
    assert not np.array_equal(batch_norm.running_mean, trained_mean)


# ------------------------------------------------------------------ bad arguments and inputs
@pytest.mark.parametrize("kwargs, error, match", [
    ({"num_features": 0}, ValueError, "num_features must be a positive int, got 0"),
    ({"num_features": True}, TypeError, "num_features must be a positive int"),
    ({"num_features": 3.0}, TypeError, "num_features must be a positive int"),
    ({"num_features": 3, "eps": 0}, ValueError, "eps must be > 0, got 0.0"),
    ({"num_features": 3, "eps": -1e-5}, ValueError, "eps must be > 0, got -1e-05"),
    ({"num_features": 3, "eps": float("inf")}, ValueError, "eps must be finite"),
    ({"num_features": 3, "eps": "small"}, TypeError, "eps must be a real number"),
    ({"num_features": 3, "momentum": 1.5}, ValueError, r"momentum must be >= 0.0 and <= 1.0, got 1.5"),
    ({"num_features": 3, "momentum": None}, TypeError, "momentum must be a real number"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        BatchNorm2d(**kwargs)


def test_bad_inputs():
    layer = BatchNorm2d(3)
    with pytest.raises(ValueError, match=r"BatchNorm2d expected input with 3 channels, got 2 \(input shape \(4, 2"):
        layer(np.zeros((4, 2, 5, 5)))
    with pytest.raises(ValueError, match=r"BatchNorm2d expects a 4-D input \(N, C, H, W\), got a 2-D input"):
        layer(np.zeros((4, 3)))
    with pytest.raises(TypeError, match="BatchNorm2d expects a real-valued input x, got dtype bool"):
        layer(np.zeros((4, 3, 2, 2), dtype=bool))
    with pytest.raises(ValueError, match=r"more than 1 value per channel when training, got input of shape \(1, 3, 1"):
        layer(np.zeros((1, 3, 1, 1)))
    with pytest.raises(ValueError, match=exactly("BatchNorm2d expects more than 1 value per channel when training, "
                                                 "got input of shape (1, 3, 1, 1)")):
        layer(np.zeros((1, 3, 1, 1)))


def test_backward_before_forward_or_with_the_wrong_grad_shape():
    layer = BatchNorm2d(2)
    with pytest.raises(RuntimeError, match="BatchNorm2d.backward called before forward"):
        layer.backward(np.ones((2, 2, 3, 3)))
    layer(np.random.default_rng(17).standard_normal((2, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"BatchNorm2d.backward expected grad of shape \(2, 2, 3, 3\), got \(2, 2, 3"):
        layer.backward(np.ones((2, 2, 3)))
