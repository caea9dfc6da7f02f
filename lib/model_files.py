"""Model files: a model's parameters and buffers saved as an `.npz` of named arrays, and loaded back.

A model file is an `.npz` of named arrays, written atomically and read with `allow_pickle=False`.
Each array is named after the layer that owns it, `<position>.<layer class>.<name>` (for example
`0.Conv2d.conv_filter`, `4.BatchNorm2d.running_mean`; nested containers add their own position), and
holds a parameter or a buffer (state that is not trained but must be kept, such as batch
normalization's running statistics). Loading checks that the file describes the same layers with the
same shapes and names the first layer that does not fit.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Tuple

import numpy as np

from lib.network import Sequential
from lib.network_base import Module, build_keeping_random_state
from lib.utilities import ArrayFileError, load_arrays, save_arrays

LEGACY_KEY = re.compile(r"^\d{2}_")  # array names of model files written before they were named by layer
RETRAIN = "delete it and train the model again"


class ModelFileError(ArrayFileError):
    """A model file that cannot be loaded into the model: unreadable, or written for another architecture.

    The message names the file, the layer and what differs, and suggests training the model again.
    """


def named_layers(model: Module, prefix: str = "") -> Iterator[Tuple[str, Module]]:
    """Every layer of `model` with its name `<position>.<class>`, descending into `Sequential` containers."""
    if not isinstance(model, Sequential):
        yield prefix + type(model).__name__, model
        return
    for position, module in enumerate(model.modules):
        if isinstance(module, Sequential):
            yield from named_layers(module, f"{prefix}{position}.")
        else:
            yield f"{prefix}{position}.{type(module).__name__}", module


def _array_names(layer: Module) -> List[str]:
    """Unique names of a layer's parameters, then buffers: their own names, `param<i>` for an unnamed
    parameter, and `<name>_<i>` (i = position in the layer) for a repeated one (a user module with two
    `Linear`s inside has two parameters named "W")."""
    names = [p.name or f"param{i}" for i, p in enumerate(layer.parameters())] + [n for n, _ in layer.buffers()]
    seen = set()
    for i, name in enumerate(names):
        if name in seen:
            names[i] = f"{name}_{i}"
        seen.add(names[i])
    return names


def model_arrays(model: Module) -> Dict[str, np.ndarray]:
    """The arrays a model file holds: every parameter and every buffer, named `<layer>.<name>`."""
    arrays = {}
    for layer_name, layer in named_layers(model):
        values = [p.data for p in layer.parameters()] + [array for _, array in layer.buffers()]
        arrays.update((f"{layer_name}.{name}", value) for name, value in zip(_array_names(layer), values))
    return arrays


def save_model(model: Module, path) -> Path:
    """Save the model's parameters and buffers to an `.npz` file (atomic, no pickle); return the path."""
    return save_arrays(path, model_arrays(model))


def load_model(model: Module, path) -> Module:
    """Load a file written by `save_model` into `model`, which must have the same architecture.

    Parameters are replaced by the saved arrays (their gradients reset to zeros); buffers are copied
    into the layer's own arrays. Files of the earlier format (parameters only, `00_conv_filter`,
    `01_conv_bias`, ... in model order) are read by position.

    Raises:
        FileNotFoundError: if `path` does not exist.
        ModelFileError (a ValueError): if the file is not a readable `.npz`, or holds other layers, arrays
            of other shapes, or arrays that are not real floating-point numbers; the message names the file
            and the first layer that does not fit.
    """
    try:
        saved = load_arrays(path)
    except ArrayFileError as error:
        raise ModelFileError(f"{error}: {RETRAIN}") from None
    expected = model_arrays(model)
    if saved and all(LEGACY_KEY.match(key) for key in saved):  # written before arrays were named by layer
        saved = dict(zip(expected, (saved[key] for key in sorted(saved))))
    _check_model_file(path, saved, expected)
    for layer_name, layer in named_layers(model):
        names = iter(_array_names(layer))
        for p, name in zip(layer.parameters(), names):
            p.data = saved[f"{layer_name}.{name}"]
            p.grad = np.zeros_like(p.data)
        for (_, array), name in zip(layer.buffers(), names):
            array[...] = saved[f"{layer_name}.{name}"]
    return model


def _check_model_file(path, saved: Dict[str, np.ndarray], expected: Dict[str, np.ndarray]) -> None:
    """Raise ModelFileError naming the first layer whose arrays in the file differ from the model's."""
    missing = [key for key in expected if key not in saved]
    unexpected = [key for key in saved if key not in expected]
    if missing or unexpected:
        where = f"layer {missing[0].rsplit('.', 1)[0]} has no saved {missing[0].rsplit('.', 1)[1]!r}" if missing \
            else f"the file has {unexpected[0]!r}, which the model lacks"
        raise ModelFileError(f"{path} was saved from another architecture: {where} "
                             f"(missing {missing}, unexpected {unexpected}); {RETRAIN}")
    for key, array in expected.items():
        layer, name = key.rsplit(".", 1)
        if saved[key].shape != array.shape:
            raise ModelFileError(f"{name!r} of layer {layer} in {path} has shape {saved[key].shape}, "
                                 f"the model expects {array.shape}; {RETRAIN}")
        if saved[key].dtype.kind != "f":
            raise ModelFileError(f"{name!r} of layer {layer} in {path} holds {saved[key].dtype} values, "
                                 f"the model expects floating-point numbers; {RETRAIN}")


def rebuild_and_load(build: Callable[[], Module], path) -> Module:
    """Build a model with `build()` and load the file `path` into it, in evaluation mode.

    Building the layers draws initial weights from the global random stream; its state is restored
    afterwards, so loading a saved model leaves `np.random` exactly as it was (as unpickling did).

    Raises:
        FileNotFoundError, ValueError: as `load_model`.
    """
    return load_model(build_keeping_random_state(build), path).eval()
