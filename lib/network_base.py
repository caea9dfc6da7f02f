"""Base classes of the framework: `Parameter` (data + accumulated gradient) and `Module`.

A module computes `forward(*inputs)`, keeps what its backward pass needs in `input_cache`, and
`backward(grad)` turns the gradient w.r.t. its output into the gradient w.r.t. its (first) input
while *adding* the gradients w.r.t. its parameters to `Parameter.grad`. `Module.check_gradients`
compares a module's backward pass with centred finite differences (numpy only, float64).
"""
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from lib.checks import check_non_negative_int
from lib.gradient_check import course_gradient_error, numerical_gradient

GRADIENT_TOLERANCE = 1e-6


class Parameter:
    """A trainable array together with its gradient and optimizer state.

    The very objects passed in are kept (no copies), so `Parameter(d, g).data is d`.

    Attributes:
        data: the values, any shape.
        grad: gradient of the loss w.r.t. `data`, same shape; layers accumulate into it (`+=`).
        name: optional human-readable name (e.g. "W", "conv_filter").
        state_dict: per-parameter optimizer state (e.g. SGD's "momentum" buffer).
    """

    def __init__(self, data: np.ndarray, grad: Optional[np.ndarray] = None, name: Optional[str] = None):
        self.data = data
        self.grad = np.zeros_like(data) if grad is None else grad
        self.name = name
        self.state_dict = {}

    def __repr__(self) -> str:
        shape = getattr(self.data, "shape", None)
        return f"Parameter(name={self.name!r}, shape={shape})"


class Module:
    """Base class of layers, activations, losses and containers.

    Subclasses implement `forward` and `backward` and, if they have any, return their
    parameters from `parameters()`.

    Attributes:
        input_cache: whatever `forward` stored for `backward` (layer-specific, see each layer).
        training: True in training mode, False in evaluation mode (see `train` and `eval`).
    """

    def __init__(self):
        self.input_cache = None
        self.training = True

    def __call__(self, *args):
        return self.forward(*args)

    def forward(self, *args):
        """Compute the module's output; subclasses must override this."""
        raise NotImplementedError

    def backward(self, grad: np.ndarray):
        """Gradient w.r.t. the first input given the gradient w.r.t. the output; subclasses override this."""
        raise NotImplementedError

    def backward_params(self, grad: np.ndarray) -> None:
        """Accumulate the parameter gradients only, for a module whose input gradient nobody reads.

        The training loop calls this on the model instead of `backward` (a network's input is data,
        not a parameter). This default runs `backward` and drops its result; layers whose input
        gradient is expensive (`Conv2d`, `Linear`) skip computing it, and `Sequential` passes the
        call on to its first module.
        """
        self.backward(grad)

    def parameters(self) -> List[Parameter]:
        """Return the module's trainable parameters (none for the base class)."""
        return []

    def buffers(self) -> List[Tuple[str, np.ndarray]]:
        """Named arrays of state that are not trained but saved with the model (none for the base class).

        Example: `BatchNorm2d`'s running mean and variance. A layer updates its buffers in place,
        so a loader can copy saved values into the very arrays returned here.
        """
        return []

    def train(self, mode: bool = True) -> "Module":
        """Set training mode (`mode=True`) or evaluation mode (`mode=False`) and return self."""
        self.training = mode
        return self

    def eval(self) -> "Module":
        """Set evaluation mode; same as `train(False)`."""
        return self.train(False)

    def to(self, dtype) -> "Module":
        """Cast every parameter (and reset its gradient) to the float `dtype`, e.g. np.float32; return self.

        Parameters already of that dtype are kept as they are (no copy).

        Raises:
            TypeError: if `dtype` is not a floating-point type (an integer cast would truncate the weights).
        """
        if not np.issubdtype(np.dtype(dtype), np.floating):
            raise TypeError(f"dtype must be a floating-point type such as np.float32, got {np.dtype(dtype)}")
        for p in self.parameters():
            p.data = p.data.astype(dtype, copy=False)
            p.grad = np.zeros_like(p.data)
        return self

    # ------------------------------------------------------------------ gradient checking
    def check_gradients(self, input_args: tuple, upstream_seed: Optional[int] = None) -> None:
        """Verify `backward` against centred finite differences of `sum(forward(*input_args))`.

        Checks the gradient w.r.t. the first input argument and w.r.t. every parameter, in
        float64. A loss is checked with `input_args = (predictions, labels)`.

        The course's check (`upstream_seed=None`) runs `backward(np.ones_like(out))`. All-ones weights
        hide every term of a gradient whose coefficients sum to zero (for a layer that subtracts the
        batch mean, such as batch norm in training mode, the input gradient is then exactly zero), so
        a layer test should also pass an `upstream_seed`: the function differentiated becomes the
        weighted sum `sum(G * forward(*input_args))`, and `backward(G)` is compared with it, G being
        one fixed upstream gradient of the output's shape.

        Args:
            input_args: tuple of the arguments of `forward`; only the first one is differentiated.
            upstream_seed: None for all-ones weights (the course's check), or an int >= 0: G is drawn
                as standard normal numbers from `np.random.default_rng(upstream_seed)` (the global
                `np.random` stream is untouched). Not for a loss, whose `backward` takes no upstream gradient.

        Raises:
            TypeError: if `input_args` is not a non-empty tuple or `upstream_seed` is neither None nor an int.
            ValueError: if `upstream_seed` is negative.
            RuntimeError: if the error (2-norm of the difference between the analytic and
                the numerical gradient) divided by the number of outputs exceeds 1e-6.
        """
        if not isinstance(input_args, tuple) or len(input_args) == 0:
            raise TypeError("input_args must be a non-empty tuple of forward's arguments, "
                            f"got {type(input_args).__name__}")
        self.check_gradients_wrt_input(input_args, GRADIENT_TOLERANCE, upstream_seed)
        self.check_gradients_wrt_params(input_args, GRADIENT_TOLERANCE, upstream_seed)

    def _zero_grad(self) -> None:
        """(Re-)initialise every parameter's gradient to zeros; a helper for gradient checking."""
        for p in self.parameters():
            p.grad = np.zeros_like(p.data)

    def _upstream_gradient(self, args: Sequence, upstream_seed: Optional[int]) -> np.ndarray:
        """The upstream gradient G of a check, shaped like forward's output (see `check_gradients`)."""
        out = self.forward(*args)
        if upstream_seed is None:
            return np.ones_like(out)
        seed = check_non_negative_int(upstream_seed, "upstream_seed")
        return np.random.default_rng(seed).standard_normal(np.shape(out))

    def _weighted_output(self, args: Sequence, upstream: np.ndarray) -> float:
        """`sum(G * forward(*args))`, the scalar whose gradient `backward(G)` returns."""
        return float(np.sum(upstream * self.forward(*args)))

    def _analytic_backward(self, args: Sequence, upstream: np.ndarray):
        """Zero the parameter grads, run forward then backward with G; return backward's result."""
        self._zero_grad()
        self.forward(*args)
        return self.backward(upstream)

    def _check_error(self, analytic: np.ndarray, numeric: np.ndarray, num_outputs: int,
                     tolerance: float, what: str) -> None:
        error = course_gradient_error(analytic, numeric, num_outputs)
        if error > tolerance:
            raise RuntimeError(f"Check of gradient w.r.t. {what} for {self} failed. "
                               f"Error {error:.4E} > {tolerance:.4E}.")

    def check_gradients_wrt_input(self, input_args: tuple, tol: float, upstream_seed: Optional[int] = None) -> None:
        """Compare the gradient w.r.t. the first input with centred differences (float64).

        Args:
            input_args: tuple of forward's arguments; the first one is differentiated.
            tol: largest allowed error per output (2-norm of the difference / outputs).
            upstream_seed: the upstream gradient, as in `check_gradients` (None: all ones).

        Raises:
            RuntimeError: if the check fails or `backward` returns no input gradient.
        """
        x = np.array(input_args[0], dtype=np.float64)  # a float64 copy; the caller's array is untouched
        args = (x,) + tuple(input_args[1:])
        upstream = self._upstream_gradient(args, upstream_seed)
        numeric = numerical_gradient(lambda: self._weighted_output(args, upstream), x)
        analytic = self._analytic_backward(args, upstream)
        if analytic is None:
            raise RuntimeError(f"{self} returned no input gradient")
        self._check_error(analytic, numeric, int(np.size(upstream)), tol, "input")

    def check_gradients_wrt_params(self, input_args: tuple, tol: float, upstream_seed: Optional[int] = None) -> None:
        """Compare each parameter's accumulated gradient with centred differences (float64).

        Each parameter's data is replaced by a float64 copy during its check and restored after.

        Args:
            input_args: tuple of forward's arguments.
            tol: largest allowed error per output (2-norm of the difference / outputs).
            upstream_seed: the upstream gradient, as in `check_gradients` (None: all ones).

        Raises:
            RuntimeError: if the check of any parameter fails.
        """
        upstream = self._upstream_gradient(input_args, upstream_seed)
        for param in self.parameters():
            original = param.data
            param.data = np.array(original, dtype=np.float64)
            try:
                numeric = numerical_gradient(lambda: self._weighted_output(input_args, upstream), param.data)
                self._analytic_backward(input_args, upstream)
                analytic = param.grad
            finally:
                param.data = original
                self._zero_grad()
            self._check_error(analytic, numeric, int(np.size(upstream)), tol, f"param '{param.name}'")


def build_keeping_random_state(build: Callable[[], Module]) -> Module:
    """Call `build()` and restore the global `np.random` state it changed by drawing initial weights.

    For a model that is built only to receive other values (a model file's, given filters), so that
    building it leaves the course's stream of random draws exactly as it was.
    """
    state = np.random.get_state()
    try:
        return build()
    finally:
        np.random.set_state(state)
