"""Optimizers: plain SGD, SGD with momentum, and Adam, updating `Parameter.data` in place."""
import inspect
from typing import Iterable, List, Optional

import numpy as np

from lib.checks import check_real
from lib.network_base import Parameter


class Optimizer:
    """Base class: holds the parameters and the learning rate.

    Attributes:
        _params: list of the Parameters to update.
        lr: learning rate, a non-negative float.
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 1.0):
        self._params = _as_parameter_list(params)
        self.lr = check_real(lr, "lr", minimum=0.0)

    def zero_grad(self) -> None:
        """Replace every parameter's gradient by zeros (gradients otherwise accumulate)."""
        for p in self._params:
            p.grad = np.zeros_like(p.data)

    def step(self) -> None:
        """Update the parameters from their gradients; subclasses implement this."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum.

    Without momentum: `p -= lr * g`. With momentum m: `v = m * v - lr * g; p += v`, where the
    velocity v lives in `p.state_dict["momentum"]` (zeros at construction).
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 1.0, momentum: Optional[float] = None):
        super().__init__(params, lr)
        if momentum is not None:
            momentum = check_real(momentum, "momentum", minimum=0.0, maximum=1.0, below_maximum=True)
        self.momentum = momentum
        if self.momentum:
            for p in self._params:
                p.state_dict["momentum"] = np.zeros_like(p.data)

    def step(self) -> None:
        """Apply one update to every parameter, in place."""
        for p in self._params:
            if self.momentum:
                velocity = p.state_dict["momentum"]
                velocity *= self.momentum
                velocity -= self.lr * p.grad
                p.data += velocity
            else:
                p.data -= self.lr * p.grad


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction.

    Per step: `t += 1` once, then for every parameter
    `s = b1*s + (1-b1)*g`, `r = b2*r + (1-b2)*g**2`, `s_hat = s/(1-b1**t)`, `r_hat = r/(1-b2**t)`,
    `p -= lr * s_hat / (sqrt(r_hat) + eps)`; `s` and `r` live in `p.state_dict`.

    Attributes:
        betas: `(b1, b2)`, each in [0, 1).
        eps: the small constant added to the denominator.
        t: number of steps taken.
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 0.001, betas=(0.9, 0.999), eps: float = 1e-08):
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (b1, b2), got {betas!r}")
        self.betas = tuple(check_real(beta, f"betas[{i}]", minimum=0.0, maximum=1.0, below_maximum=True)
                           for i, beta in enumerate(betas))
        self.eps = check_real(eps, "eps", minimum=0.0)
        self.t = 0
        for p in self._params:
            p.state_dict["s"] = np.zeros_like(p.data)
            p.state_dict["r"] = np.zeros_like(p.data)

    def step(self) -> None:
        """Apply one Adam update to every parameter, in place."""
        b1, b2 = self.betas
        self.t += 1
        for p in self._params:
            s, r, g = p.state_dict["s"], p.state_dict["r"], p.grad
            s *= b1
            s += (1 - b1) * g
            r *= b2
            r += (1 - b2) * g ** 2
            s_hat = s / (1 - b1 ** self.t)
            r_hat = r / (1 - b2 ** self.t)
            p.data -= self.lr * s_hat / (np.sqrt(r_hat) + self.eps)


def create_optimizer(name: str, params: Iterable[Parameter], hyperparams: dict) -> Optimizer:
    """Build an optimizer by name.

    Args:
        name: "sgd" or "adam", case-insensitive.
        params: the parameters to optimize.
        hyperparams: keyword arguments of the optimizer, e.g. {"lr": 0.01, "momentum": 0.9}.

    Returns:
        The SGD or Adam instance.

    Raises:
        ValueError: for any other name, or a hyperparameter the optimizer does not have.
        TypeError: if hyperparams is not a dict.
    """
    optimizers = {"sgd": SGD, "adam": Adam}
    key = name.lower() if isinstance(name, str) else name
    if key not in optimizers:
        raise ValueError(f"optimizer name must be one of {sorted(optimizers)}, got {name!r}")
    if not isinstance(hyperparams, dict):
        raise TypeError(f"hyperparams must be a dict of keyword arguments, got {type(hyperparams).__name__}")
    allowed = [p for p in inspect.signature(optimizers[key]).parameters if p != "params"]
    unknown = sorted(set(hyperparams) - set(allowed))
    if unknown:
        raise ValueError(f"unknown hyperparameters {unknown} for {optimizers[key].__name__}; allowed: {allowed}")
    return optimizers[key](params, **hyperparams)


def _as_parameter_list(params: Iterable[Parameter]) -> List[Parameter]:
    if isinstance(params, Parameter) or not hasattr(params, "__iter__"):
        raise TypeError(f"params must be an iterable of Parameter objects (e.g. model.parameters()), "
                        f"got {type(params).__name__}")
    params = list(params)
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(f"params must be Parameter objects, got {type(p).__name__} at position {i}")
        if not isinstance(p.data, np.ndarray) or not np.issubdtype(p.data.dtype, np.floating):
            raise TypeError(f"parameter {p.name!r} at position {i} must hold a floating-point array to be updated "
                            f"in place, got {getattr(p.data, 'dtype', type(p.data).__name__)}")
    return params
