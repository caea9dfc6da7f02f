"""Argument checks shared by the whole library: one definition of "an int", "a pair", "same length".

Every public function and layer checks its arguments at the boundary with these helpers, so a bad
value raises a `TypeError` or `ValueError` that names the argument and the expected form, never an
`assert` (which `python -O` removes) or a numpy error deep inside. Each helper returns the checked
value in its normal form (a Python int, a tuple of two ints, a float, an array).
"""
from __future__ import annotations

import math
import numbers
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

IntPair = Union[int, Sequence[int]]


def is_int(value) -> bool:
    """Whether `value` is an integer (Python or numpy), bools excluded."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_int(value, name: str) -> int:
    """Return `value` as a Python int; TypeError for bools, floats and anything non-integral."""
    if not is_int(value):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    return int(value)


def check_positive_int(value, name: str) -> int:
    """Return `value` as a Python int if it is a positive integer (bools are rejected).

    Raises:
        TypeError: if `value` is not an integer.
        ValueError: if `value` <= 0.
    """
    if not is_int(value):
        raise TypeError(f"{name} must be a positive int, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


def check_non_negative_int(value, name: str) -> int:
    """Return `value` as a Python int if it is an integer >= 0 (counts, largest shifts; bools are rejected).

    Raises:
        TypeError: if `value` is not an integer.
        ValueError: if `value` < 0.
    """
    value = check_int(value, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def check_int_array(value, name: str, shape: Sequence[Optional[int]], form: str) -> np.ndarray:
    """Return `value` as an integer array of the given shape (bools and floats rejected, even 1.0).

    Args:
        value: an array or nested sequence.
        name: the argument's name, used in the messages.
        shape: the expected shape; None along an axis allows any size.
        form: the expected shape as the messages write it, e.g. "(N, 2) = (5, 2)".

    Raises:
        TypeError: if the entries are not integers.
        ValueError: if it is ragged or has another shape.
    """
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested sequences (numpy >= 1.24)
        raise ValueError(f"{name} must be an integer array of shape {form} ({error})") from None
    if len(array.shape) != len(shape) or any(s is not None and a != s for a, s in zip(array.shape, shape)):
        raise ValueError(f"{name} must be an integer array of shape {form}, got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must be an integer array of shape {form}, got dtype {array.dtype}")
    return array


def check_int_pair(value: IntPair, name: str, minimum: Optional[int] = 0, allow_int: bool = True) -> Tuple[int, int]:
    """Return an int or a 2-sequence of ints (tuple, list, array) as a tuple (height, width) of Python ints.

    Args:
        value: the value to check.
        name: the argument's name, used in the messages.
        minimum: smallest allowed entry (0: non-negative, 1: positive, None: any sign, as for shifts).
        allow_int: whether one int stands for (value, value), as in PyTorch's layers.

    Raises:
        TypeError: if `value` is neither (an int nor) a sequence, or an entry is not an integer.
        ValueError: if the sequence does not have 2 entries or an entry is below `minimum`.
    """
    if allow_int and is_int(value):
        value = (value, value)
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        if allow_int:
            raise TypeError(f"{name} must be an int or a tuple of 2 ints (height, width), got {value!r}")
        raise ValueError(f"{name} must be a tuple of 2 ints (height, width), got {value!r}")
    if len(value) != 2:
        raise ValueError(f"{name} must be a tuple of 2 ints (height, width), got {len(value)} values: {value!r}")
    if not all(is_int(v) for v in value):
        raise TypeError(f"{name} must hold ints, got {value!r}")
    pair = (int(value[0]), int(value[1]))
    if minimum is not None and min(pair) < minimum:
        expected = "positive" if minimum == 1 else f">= {minimum}" if minimum else "non-negative"
        raise ValueError(f"{name} must be {expected} ints (height, width), got {pair}")
    return pair


def check_bool(value, name: str) -> bool:
    """Return `value` as a Python bool if it is True or False (numpy's bool included).

    Raises:
        TypeError: for anything else: 0, 1, None and strings are not accepted as flags.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_real(value, name: str, minimum: float = -math.inf, maximum: Optional[float] = None,
               below_maximum: bool = False) -> float:
    """Return `value` as a finite Python float in [minimum, maximum] (or [minimum, maximum) if `below_maximum`).

    Raises:
        TypeError: if `value` is not a real number (bools are rejected).
        ValueError: if it is not finite or lies outside the range.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if value < minimum or (maximum is not None and (value >= maximum if below_maximum else value > maximum)):
        upper = "" if maximum is None else f" and {'<' if below_maximum else '<='} {maximum}"
        raise ValueError(f"{name} must be >= {minimum}{upper}, got {value}")
    return value


def check_real_vector(value, name: str) -> np.ndarray:
    """Return `value` as a new non-empty, finite, 1-D float64 array (a copy: the caller's array is untouched).

    Raises:
        TypeError: if it does not hold real numbers.
        ValueError: if it is ragged, not 1-D, empty or not finite.
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a 1-D sequence or array of real numbers, got {type(value).__name__}")
    try:
        array = np.array(value)
    except ValueError as error:  # ragged nested sequences (numpy >= 1.24)
        raise ValueError(f"{name} must be a 1-D sequence or array of real numbers ({error})") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
                                     or array.dtype == np.bool_):
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {array}")
    return array


def check_same_length(x, y, x_name: str, y_name: str) -> None:
    """Raise ValueError unless `x` and `y` hold the same, non-zero number of samples."""
    if len(x) != len(y):
        raise ValueError(f"{x_name} and {y_name} must have the same length, got {len(x)} and {len(y)}")
    if len(x) == 0:
        raise ValueError(f"{x_name} and {y_name} must not be empty")


def check_batches(x, y, batch_size: int, x_name: str, y_name: str) -> None:
    """Raise ValueError unless x and y hold the same, non-zero number of samples, a multiple of batch_size."""
    check_same_length(x, y, x_name, y_name)
    if len(x) % batch_size != 0:
        raise ValueError(f"the number of samples in {x_name} ({len(x)}) must be a multiple of "
                         f"batch_size ({batch_size})")


def check_real_array(value, name: str, owner: Optional[str] = None) -> np.ndarray:
    """Return `value` as an array after checking that it holds real numbers (integers or floats).

    Args:
        value: an array or nested sequence of any shape.
        name: the argument's name, used in the message.
        owner: the layer or function that takes it, if the message should name it (e.g. "Dropout").

    Raises:
        TypeError: for bools, complex numbers, strings and objects: "{owner} expects a real-valued
            input {name}, got dtype ..." or, without an owner, "{name} must be real-valued, got dtype ...".
    """
    array = np.asarray(value)
    dtype = array.dtype
    if dtype == bool or not np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.complexfloating):
        problem = f"{name} must be real-valued" if owner is None else f"{owner} expects a real-valued input {name}"
        raise TypeError(f"{problem}, got dtype {dtype}")
    return array


def check_values_per_channel(x: np.ndarray, layer: str) -> int:
    """Return M = N*H*W, the values per channel of an (N, C, H, W) batch, if it is at least 2 (a batch variance).

    Raises:
        ValueError: "<layer> expects more than 1 value per channel when training, got input of shape ...".
    """
    count = x.shape[0] * x.shape[2] * x.shape[3]
    if count < 2:
        raise ValueError(f"{layer} expects more than 1 value per channel when training, got input of shape {x.shape}")
    return count


def check_feature_maps(x, layer: str, channels: Optional[int] = None) -> np.ndarray:
    """Return x as an array after checking that it is a real (N, C, H, W) batch, with `channels` channels if given.

    Args:
        x: the input of a layer's forward.
        layer: the layer's name for the messages (e.g. "Conv2d", "MaxPool2d").
        channels: the number of channels the layer expects, or None for any.

    Raises:
        ValueError: if x is not 4-D or has the wrong number of channels.
        TypeError: if x is not real-valued.
    """
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"{layer} expects a 4-D input (N, C, H, W), got a {x.ndim}-D input of shape {x.shape}")
    check_real_array(x, "x", layer)
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{layer} expected input with {channels} channels, got {x.shape[1]} (input shape {x.shape})")
    return x


def check_float_maps(x, layer: str, channels: Optional[int] = None) -> np.ndarray:
    """x checked as (N, C, H, W) feature maps; integer inputs become float64, floats keep their dtype."""
    x = check_feature_maps(x, layer, channels)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def check_backward_grad(module, grad, expected_shape) -> np.ndarray:
    """Return `grad` as an array after checking that `module.backward` may use it.

    Args:
        module: the module whose backward is running (named in the messages).
        grad: the upstream gradient.
        expected_shape: the output shape of the last forward, or None if forward has not run.

    Raises:
        RuntimeError: if forward has not run (`expected_shape` is None).
        ValueError: if grad does not have `expected_shape`.
    """
    name = type(module).__name__
    if expected_shape is None:
        raise RuntimeError(f"{name}.backward called before forward")
    grad = np.asarray(grad)
    if grad.shape != tuple(expected_shape):
        raise ValueError(f"{name}.backward expected grad of shape {tuple(expected_shape)}, got {grad.shape}")
    return grad


def check_conv_arguments(input_shape, kernel_size, stride, padding) -> Tuple[List[int], ...]:
    """The four arguments of the output-size formula as lists of Python ints, checked to describe a convolution.

    Raises:
        TypeError: if an argument is not a sequence or holds a non-integer.
        ValueError: if the lengths differ, or, naming the dimension, if an input size is negative,
            a kernel size or stride is <= 0, a padding is negative, or the kernel is larger than
            the padded input.
    """
    args = {"input_shape": input_shape, "kernel_size": kernel_size, "stride": stride, "padding": padding}
    values = {}
    for name, seq in args.items():
        if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__"):
            raise TypeError(f"{name} must be a list or tuple of ints, got {seq!r}")
        values[name] = [check_int(v, f"{name}[{d}]") for d, v in enumerate(seq)]
    lengths = {name: len(v) for name, v in values.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"input_shape, kernel_size, stride and padding must have the same length, got lengths "
                         f"{lengths}")
    for d, (i, k, s, p) in enumerate(zip(*values.values())):
        for wrong, what, value in ((i < 0, "input_shape must be non-negative", i),
                                   (k <= 0, "kernel_size must be positive", k),
                                   (s <= 0, "stride must be positive", s), (p < 0, "padding must be non-negative", p)):
            if wrong:
                raise ValueError(f"{what}, got {value} in dimension {d}")
        if k > i + 2 * p:
            raise ValueError(f"kernel size {k} is larger than the padded input size {i + 2 * p} "
                             f"(input {i} + 2 * padding {p}) in dimension {d}")
    return tuple(values.values())
