"""Specification of SGD (with and without momentum), Adam and create_optimizer, on hand-made numbers."""
import numpy as np
import pytest

from lib.network_base import Parameter
from lib.optimizers import SGD, Adam, Optimizer, create_optimizer

from exact_messages import exactly


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


# --- formulas where a wrong one gives other numbers ------------------------------------------------------

def test_adam_adds_eps_after_the_square_root():
    """eps = 0.5 and g = 2 at t = 1: lr * 2 / (sqrt(4) + 0.5) = 0.08, not lr * 2 / sqrt(4 + 0.5) = 0.0943."""
    p = Parameter(np.array([1.0, 1.0]))
    opt = Adam([p], lr=0.1, betas=(0.9, 0.99), eps=0.5)
    p.grad = np.array([2.0, -8.0])
    opt.step()
    np.testing.assert_allclose(p.data, [1.0 - 0.1 * 2 / 2.5, 1.0 + 0.1 * 8 / 8.5], rtol=1e-14)


def test_adam_bias_corrections_use_the_step_count_of_the_optimizer():
    """Two parameters, three steps: t counts steps, not parameters; beta1 != beta2 so that swapping them shows."""
    p, q = Parameter(np.array([0.0])), Parameter(np.array([0.0]))
    b1, b2, lr, eps = 0.8, 0.6, 0.5, 0.1
    opt = Adam([p, q], lr=lr, betas=(b1, b2), eps=eps)
    s = r = 0.0
    expected = 0.0
    for t, g in enumerate([1.0, 3.0, -2.0], start=1):
        p.grad, q.grad = np.array([g]), np.array([g])
        opt.step()
        s, r = b1 * s + (1 - b1) * g, b2 * r + (1 - b2) * g * g
        expected -= lr * (s / (1 - b1 ** t)) / (np.sqrt(r / (1 - b2 ** t)) + eps)
        np.testing.assert_allclose([p.data[0], q.data[0]], [expected, expected], rtol=1e-13)
        np.testing.assert_allclose([p.state_dict["s"][0], p.state_dict["r"][0]], [s, r], rtol=1e-13)
    assert opt.t == 3


def test_adam_state_starts_at_zero_with_the_parameters_shape_and_dtype():
    p = Parameter(np.ones((2, 3), dtype=np.float32))
    Adam([p])
    for key in ("s", "r"):
        assert p.state_dict[key].shape == (2, 3) and p.state_dict[key].dtype == np.float32
        np.testing.assert_array_equal(p.state_dict[key], np.zeros((2, 3)))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"betas": 0.9}, ValueError, r"betas must be a pair \(b1, b2\), got 0.9"),
    ({"betas": (0.9, 0.99, 0.999)}, ValueError, r"betas must be a pair \(b1, b2\), got \(0.9, 0.99, 0.999\)"),
    ({"betas": (1.0, 0.999)}, ValueError, r"betas\[0\] must be >= 0.0 and < 1.0, got 1.0"),
    ({"betas": (0.9, -0.1)}, ValueError, r"betas\[1\] must be >= 0.0 and < 1.0, got -0.1"),
    ({"eps": -1e-8}, ValueError, r"eps must be >= 0.0, got -1e-08"),
    ({"lr": -0.1}, ValueError, r"lr must be >= 0.0, got -0.1"),
])
def test_adam_rejects_bad_hyperparameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        Adam([make_param()], **kwargs)


def test_adam_accepts_the_edges_of_its_ranges():
    opt = Adam([make_param()], lr=0.0, betas=[0.0, 0.0], eps=0.0)
    assert (opt.lr, opt.betas, opt.eps) == (0.0, (0.0, 0.0), 0.0)


def test_sgd_momentum_edges_and_state():
    p = make_param()
    assert SGD([p], lr=0.1).momentum is None and "momentum" not in p.state_dict
    opt = SGD([p], lr=0.1, momentum=0.0)  # 0 is allowed and is plain SGD: no velocity buffer
    assert opt.momentum == 0.0 and "momentum" not in p.state_dict
    p.grad = np.array([1.0, 1.0])
    opt.step()
    np.testing.assert_allclose(p.data, [0.9, -2.1])
    with pytest.raises(ValueError, match=r"momentum must be >= 0.0 and < 1.0, got 1.0"):
        SGD([make_param()], momentum=1.0)


def test_sgd_default_learning_rate_is_one_and_steps_every_parameter():
    p, q = make_param(), Parameter(np.array([[3.0]]))
    p.grad, q.grad = np.array([0.25, 0.5]), np.array([[-1.0]])
    opt = SGD([p, q])
    assert opt.lr == 1.0 and opt._params == [p, q]
    opt.step()
    np.testing.assert_array_equal(p.data, [0.75, -2.5])
    np.testing.assert_array_equal(q.data, [[4.0]])


def test_create_optimizer_passes_the_hyperparameters():
    p = make_param()
    sgd = create_optimizer("SgD", [p], {"lr": 0.2, "momentum": 0.5})
    assert isinstance(sgd, SGD) and (sgd.lr, sgd.momentum) == (0.2, 0.5) and sgd._params == [p]
    adam = create_optimizer("ADAM", [p], {"betas": (0.5, 0.6), "eps": 0.1})
    assert isinstance(adam, Adam) and (adam.lr, adam.betas, adam.eps) == (0.001, (0.5, 0.6), 0.1)
    with pytest.raises(ValueError, match=r"optimizer name must be one of \['adam', 'sgd'\], got 3"):
        create_optimizer(3, [p], {})


def test_the_base_optimizer_defaults_to_a_learning_rate_of_one():
    assert Optimizer([make_param()]).lr == 1.0


@pytest.mark.parametrize("kwargs, message", [
    ({"betas": (0.9,)}, "betas must be a pair (b1, b2), got (0.9,)"),
    ({"betas": (0.9, 1.0)}, "betas[1] must be >= 0.0 and < 1.0, got 1.0"),
    ({"eps": -1.0}, "eps must be >= 0.0, got -1.0"),
])
def test_adam_exact_messages(kwargs, message):
    with pytest.raises(ValueError, match=exactly(message)):
        Adam([make_param()], **kwargs)


@pytest.mark.parametrize("params, error, message", [
    (5, TypeError, "params must be an iterable of Parameter objects (e.g. model.parameters()), got int"),
    ([Parameter(np.arange(3), name="n")], TypeError,
     "parameter 'n' at position 0 must hold a floating-point array to be updated in place, got int64"),
    ([Parameter(2.0, name="s")], TypeError,
     "parameter 's' at position 0 must hold a floating-point array to be updated in place, got float"),
])
def test_parameter_list_exact_messages(params, error, message):
    with pytest.raises(error, match=exactly(message)):
        SGD(params)


def test_create_optimizer_exact_message_for_hyperparams():
    with pytest.raises(TypeError, match=exactly("hyperparams must be a dict of keyword arguments, got NoneType")):
        create_optimizer("sgd", [make_param()], None)
    with pytest.raises(TypeError, match=exactly("hyperparams must be a dict of keyword arguments, got list")):
        create_optimizer("sgd", [make_param()], [("lr", 0.1)])
