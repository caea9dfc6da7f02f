"""Specification of SGD (with and without momentum), Adam and create_optimizer, on hand-made numbers."""
import numpy as np
import pytest

from lib.network_base import Parameter
from lib.optimizers import SGD, Adam, Optimizer, create_optimizer


def make_param():
    return Parameter(np.array([1.0, -2.0]), name="p")


def test_plain_sgd_step():
    p = make_param()
    p.grad = np.array([0.5, -1.0])
    SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, -1.9])


def test_sgd_with_momentum_follows_v_equals_m_v_minus_lr_g():
    p = make_param()
    opt = SGD([p], lr=0.1, momentum=0.9)
    np.testing.assert_array_equal(p.state_dict["momentum"], [0.0, 0.0])
    p.grad = np.array([1.0, 2.0])
    opt.step()  # v = -0.1 * g = [-0.1, -0.2]
    np.testing.assert_allclose(p.state_dict["momentum"], [-0.1, -0.2])
    np.testing.assert_allclose(p.data, [0.9, -2.2])
    p.grad = np.array([-1.0, 0.0])
    opt.step()  # v = 0.9 * [-0.1, -0.2] - 0.1 * [-1, 0] = [0.01, -0.18]
    np.testing.assert_allclose(p.state_dict["momentum"], [0.01, -0.18])
    np.testing.assert_allclose(p.data, [0.91, -2.38])


def test_zero_grad_replaces_gradients_which_otherwise_accumulate():
    p = make_param()
    p.grad += 1.0
    p.grad += 1.0
    np.testing.assert_array_equal(p.grad, [2.0, 2.0])
    old = p.grad
    SGD([p]).zero_grad()
    assert p.grad is not old
    np.testing.assert_array_equal(p.grad, [0.0, 0.0])


def test_adam_two_steps_by_hand():
    p = Parameter(np.array([1.0]))
    opt = Adam([p], lr=0.1, betas=(0.5, 0.75), eps=0.0)
    p.grad = np.array([2.0])
    opt.step()
    # t=1: s = 0.5*2 = 1, r = 0.25*4 = 1, s_hat = 1/0.5 = 2, r_hat = 1/0.25 = 4 -> p = 1 - 0.1*2/2 = 0.9
    assert opt.t == 1
    np.testing.assert_allclose([p.state_dict["s"][0], p.state_dict["r"][0], p.data[0]], [1.0, 1.0, 0.9])
    p.grad = np.array([-1.0])
    opt.step()
    # t=2: s = 0.5 - 0.5 = 0, r = 0.75 + 0.25 = 1 -> s_hat = 0 -> p unchanged
    np.testing.assert_allclose([p.state_dict["s"][0], p.state_dict["r"][0], p.data[0]], [0.0, 1.0, 0.9])
    p.grad = np.array([4.0])
    opt.step()
    # t=3: s = 2, r = 0.75 + 4 = 4.75, s_hat = 2/0.875, r_hat = 4.75/(1-0.421875)
    s_hat, r_hat = 2 / 0.875, 4.75 / (1 - 0.75 ** 3)
    np.testing.assert_allclose(p.data, [0.9 - 0.1 * s_hat / np.sqrt(r_hat)])


def test_adam_default_hyperparameters():
    opt = Adam([make_param()])
    assert (opt.lr, opt.betas, opt.eps, opt.t) == (0.001, (0.9, 0.999), 1e-08, 0)


def test_base_optimizer_step_is_abstract():
    with pytest.raises(NotImplementedError):
        Optimizer([make_param()]).step()


@pytest.mark.parametrize("name, cls", [("sgd", SGD), ("SGD", SGD), ("Adam", Adam)])
def test_create_optimizer(name, cls):
    opt = create_optimizer(name, [make_param()], {"lr": 0.5})
    assert isinstance(opt, cls) and opt.lr == 0.5


def test_create_optimizer_rejects_unknown_names():
    with pytest.raises(ValueError, match="optimizer name must be one of"):
        create_optimizer("rmsprop", [make_param()], {})


def test_sgd_rejects_a_negative_learning_rate():
    with pytest.raises(ValueError, match=r"lr must be >= 0\.0, got -0\.1"):
        SGD([make_param()], lr=-0.1)


@pytest.mark.parametrize("momentum", [1.0, 1.5, -0.1])
def test_sgd_rejects_momentum_outside_zero_one(momentum):
    with pytest.raises(ValueError, match="momentum must"):
        SGD([make_param()], lr=0.1, momentum=momentum)


def test_optimizers_reject_non_parameters():
    with pytest.raises(TypeError, match="params must be Parameter objects, got ndarray at position 0"):
        SGD([np.zeros(2)])


def test_optimizers_reject_a_single_parameter_instead_of_a_list():
    with pytest.raises(TypeError, match="params must be an iterable of Parameter objects"):
        SGD(make_param())


def test_create_optimizer_names_unknown_hyperparameters():
    with pytest.raises(ValueError, match=r"unknown hyperparameters \[.beta.\] for Adam; allowed: \[.lr., .betas"):
        create_optimizer("adam", [make_param()], {"beta": 0.9})
    with pytest.raises(TypeError, match="hyperparams must be a dict"):
        create_optimizer("sgd", [make_param()], None)


def test_optimizers_reject_integer_parameters():
    with pytest.raises(TypeError, match="parameter 'n' at position 0 must hold a floating-point array"):
        SGD([Parameter(np.arange(3), name="n")], lr=0.1)
