"""Fully connected layers and the `Sequential` container.

Shape letters: N = batch size, D = input features, M = output features.
"""
from typing import List, Tuple

import numpy as np

from lib.checks import check_backward_grad, check_positive_int
from lib.network_base import Module, Parameter


class Linear(Module):
    """Affine layer `y = x @ W + b`.

    The course's initialisation, in this order (it fixes the global random stream):
    `W = 0.01 * np.random.randn(in_features, out_features)`, then `b = 0.01 * np.ones(out_features)`.

    Attributes:
        W: Parameter of shape (D, M), named "W".
        b: Parameter of shape (M,), named "b".
        input_cache: the input x of the last `forward`, shape (N, D).
    """

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        check_positive_int(in_features, "in_features")
        check_positive_int(out_features, "out_features")
        self.W = Parameter(0.01 * np.random.randn(in_features, out_features), name="W")
        self.b = Parameter(0.01 * np.ones(out_features), name="b")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute `x @ W + b` and cache x.

        Args:
            x: (N, D) input.

        Returns:
            (N, M) output, in numpy's result dtype of x and W.

        Raises:
            ValueError: if x is not 2-D or has not D features.
        """
        x = np.asarray(x)
        if x.ndim != 2:
            raise ValueError(f"Linear expects a 2-D input x of shape (N, {self.W.data.shape[0]}), got shape {x.shape}")
        if x.shape[1] != self.W.data.shape[0]:
            raise ValueError(f"Linear expected input x with {self.W.data.shape[0]} features, "
                             f"got {x.shape[1]} (x.shape = {x.shape})")
        self.input_cache = x
        return x @ self.W.data + self.b.data  # (N, M)

    def backward(self, grad: np.ndarray):
        """Accumulate `W.grad += x.T @ grad`, `b.grad += grad.sum(0)` and return `grad @ W.T`.

        Args:
            grad: (N, M) gradient of the loss w.r.t. the output.

        Returns:
            (N, D) gradient w.r.t. x.

        Raises:
            RuntimeError: if called before forward.
            ValueError: if grad is not (N, M).
        """
        grad = self._accumulate_param_grads(grad)
        return grad @ self.W.data.T  # (N, D)

    def backward_params(self, grad: np.ndarray) -> None:
        """Accumulate `W.grad` and `b.grad` from the (N, M) grad only, without the input gradient.

        See `Module.backward_params`.
        """
        self._accumulate_param_grads(grad)

    def _accumulate_param_grads(self, grad: np.ndarray) -> np.ndarray:
        """Check grad, add `x.T @ grad` to `W.grad` and `grad.sum(0)` to `b.grad`; return grad as an array."""
        x = self.input_cache
        grad = check_backward_grad(self, grad, None if x is None else (x.shape[0], self.W.data.shape[1]))
        self.W.grad += x.T @ grad  # (D, M)
        self.b.grad += grad.sum(axis=0)  # (M,)
        return grad

    def parameters(self) -> Tuple[Parameter, Parameter]:
        """Return `(W, b)`."""
        return (self.W, self.b)

    def __repr__(self) -> str:
        return "Linear(in_features={}, out_features={})".format(*self.W.data.shape)


class Sequential(Module):
    """Chain of modules: `forward` runs them in order, `backward` in reverse.

    Attributes:
        modules: the modules, in order.
    """

    def __init__(self, *modules: Module):
        super().__init__()
        for position, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError("Sequential expects Module instances, "
                                f"got {type(module).__name__} at position {position}")
        self.modules = list(modules)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Feed x through every module in order and return the last output."""
        for module in self.modules:
            x = module(x)
        return x

    def backward(self, grad: np.ndarray):
        """Run every module's backward in reverse order.

        Args:
            grad: gradient w.r.t. the output of the last module.

        Returns:
            Gradient w.r.t. the input of the first module.
        """
        for module in reversed(self.modules):
            grad = module.backward(grad)
        return grad

    def backward_params(self, grad: np.ndarray) -> None:
        """Backward through every module but the first, whose input gradient nobody reads.

        The first module gets `backward_params`, so it accumulates its parameter gradients without
        computing the gradient w.r.t. the network's input (see `Module.backward_params`).
        """
        for module in reversed(self.modules[1:]):
            grad = module.backward(grad)
        if self.modules:
            self.modules[0].backward_params(grad)

    def parameters(self) -> List[Parameter]:
        """Return the parameters of all modules as one flat list, in module order."""
        return [p for module in self.modules for p in module.parameters()]

    def buffers(self) -> List[Tuple[str, np.ndarray]]:
        """Return the buffers of all modules, in module order, named "<position>.<name>"."""
        return [(f"{i}.{name}", array) for i, module in enumerate(self.modules) for name, array in module.buffers()]

    def train(self, mode: bool = True) -> "Sequential":
        """Set the mode of this container and of every module in it; return self."""
        super().train(mode)
        for module in self.modules:
            module.train(mode)
        return self

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {m!r}" for i, m in enumerate(self.modules))
        return f"Sequential({inner}\n)" if inner else "Sequential()"
