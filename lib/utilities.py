"""Small helpers shared by the scripts: one-hot labels and pickle-free, atomically written result files.

Results and models are stored with `np.savez` (arrays only) and read back with
`np.load(..., allow_pickle=False)`, so loading a file can never execute code. Every file is written
to a temporary file in the target directory first and then renamed, so an interrupted run never
leaves a half-written file behind.
"""
import csv
import io
import os
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Mapping, Sequence, Union

import numpy as np

from lib.checks import check_positive_int

RESULTS_DIR = Path("results")  # where every script writes, relative to the working directory (the course's rule)
_KIND_KEY = "__kind__"
PathLike = Union[str, "os.PathLike[str]"]


class LibraryError(Exception):
    """Base of the errors a user fixes without touching code: a missing or broken file, an unusable folder.

    Each message says what is wrong, with which file, and what to do; the root scripts print it as one
    line (`lib/cli/errors.py`). Every subclass also derives from the built-in type a caller would catch
    (ValueError, OSError, RuntimeError).
    """


class ArrayFileError(LibraryError, ValueError):
    """A file that should hold named arrays (`.npz`) cannot be read: truncated, not a zip, or pickled data."""


class OutputFolderError(LibraryError, OSError):
    """The folder results go to cannot be used: a file stands in its place, or it cannot be written."""


def ensure_output_folder(folder: PathLike = RESULTS_DIR) -> Path:
    """Make sure results can be written to `folder` before any work starts: create it if missing.

    Args:
        folder: the output folder (default `results/` in the working directory).

    Returns:
        The folder as a Path.

    Raises:
        OutputFolderError: if a file stands where the folder should be, or the folder cannot be
            created or written to.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputFolderError(f"{folder} is a file, but results are written to a folder of that name: "
                                f"rename or remove the file, or run from another working folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=str(folder)):
            pass
    except OSError as error:
        raise OutputFolderError(f"cannot write to the output folder {folder} ({error.strerror or error}): "
                                f"make it writable, or run from another working folder") from None
    return folder


def one_hot_encoding(y: np.ndarray, num_classes: int) -> np.ndarray:
    """Turn integer class labels into one-hot rows.

    Args:
        y: integer labels, shape (n,) (or any shape that flattens to (n,)), values in [0, num_classes).
        num_classes: number of classes C, a positive int.

    Returns:
        float64 array of shape (n, C) with a single 1.0 per row.

    Raises:
        TypeError: if `num_classes` is not an int or `y` does not hold integers.
        ValueError: if `num_classes` < 1 or a label is outside [0, num_classes).
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    y = np.asarray(y).reshape(-1)  # (n,)
    if y.dtype == bool or not np.issubdtype(y.dtype, np.number):
        raise TypeError(f"y must hold integer class indices, got dtype {y.dtype}")
    if y.size and not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise TypeError(f"y must hold integer class indices, got dtype {y.dtype}")
        y = y.astype(np.int64)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"labels y must lie in [0, {num_classes}), got values in [{y.min()}, {y.max()}]")
    encoded = np.zeros((y.size, num_classes), dtype=np.float64)  # (n, C)
    encoded[np.arange(y.size), y.astype(np.int64)] = 1.0
    return encoded


def cast_if_wider(array: np.ndarray, dtype) -> np.ndarray:
    """`array` itself if computing with it keeps the result in `dtype`, else a copy cast to `dtype`.

    float32 images stay as they are in a float64 run (the layers widen each batch on the copy they
    make anyway); float64 labels are cast once for a float32 run, so they do not widen every batch.
    """
    array = np.asarray(array)
    return array if np.result_type(array.dtype, dtype) == dtype else array.astype(dtype)


def atomic_write(path: PathLike, write) -> Path:
    """Write a file atomically: `write(file_object)` fills a temp file that then replaces `path`.

    Args:
        path: destination; its parent directories are created.
        write: callable taking a binary file object open for writing.

    Returns:
        The destination as a Path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=str(path.parent), prefix="." + path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp_name, 0o666 & ~_current_umask())  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp_name, str(path))
    except BaseException:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
        raise
    return path


def atomic_write_text(path: PathLike, text: str) -> Path:
    """Write `text` as UTF-8 with "\\n" line endings to `path`, atomically (see `atomic_write`).

    Args:
        path: destination; its parent directories are created.
        text: the whole content.

    Returns:
        The destination as a Path.
    """
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def write_csv(path: PathLike, columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> Path:
    """Write rows (mappings with the keys `columns`, values already formatted) as a CSV file, atomically.

    Args:
        path: destination; its parent directories are created.
        columns: the header, in order.
        rows: one mapping per line.

    Returns:
        The destination as a Path.
    """
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return atomic_write_text(path, text.getvalue())


def read_csv(path: PathLike, types: Mapping[str, Callable[[str], object]]) -> List[Dict[str, object]]:
    """Read a CSV file `write_csv` wrote: one dict per line, the columns named in `types` converted.

    Args:
        path: the CSV file.
        types: column -> converter (e.g. {"dy": int, "val_accuracy": float}); other columns stay strings.

    Returns:
        The rows, in the file's order.

    Raises:
        KeyError: naming a column of `types` that the file lacks; ValueError: for a malformed number.
    """
    with open(path, newline="", encoding="utf-8") as f:
        return [{**row, **{column: convert(row[column]) for column, convert in types.items()}}
                for row in csv.DictReader(f)]


def _current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def save_arrays(path: PathLike, arrays: Dict[str, np.ndarray]) -> Path:
    """Save named arrays to an `.npz` file atomically (no pickle).

    Args:
        path: destination file; ".npz" is appended when missing.
        arrays: mapping from name to array (object arrays are rejected).

    Returns:
        The path written.

    Raises:
        TypeError: if an entry is not convertible to a non-object numpy array.
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    converted = {}
    for key, value in arrays.items():
        array = np.asarray(value)
        if array.dtype == object:
            raise TypeError(f"array {key!r} has dtype object, which cannot be saved without pickle")
        converted[key] = array
    return atomic_write(path, lambda f: np.savez(f, **converted))


def load_arrays(path: PathLike) -> Dict[str, np.ndarray]:
    """Load the arrays of an `.npz` file written by `save_arrays`, never unpickling anything.

    Args:
        path: the `.npz` file.

    Returns:
        dict from name to array.

    Raises:
        FileNotFoundError: if the file does not exist.
        ArrayFileError: if it is not a complete `.npz` file of plain arrays (truncated, another format,
            or arrays that only pickle could read).
    """
    try:
        data = np.load(str(path), allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("a single .npy array, not an .npz archive of named arrays")
        with data:
            return {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error) as error:
        # numpy's wording for anything it could only unpickle invites loading it unsafely: never suggest that
        reason = "not an .npz archive of plain arrays" if "pickle" in str(error) else str(error)
        raise ArrayFileError(f"{path} is not a readable .npz file of arrays ({reason})") from None


def save_result(filename: str, obj) -> Path:
    """Save a result under `results/<filename>.npz` (the course used a pickle; this is pickle-free).

    Args:
        filename: base name; a ".pkl" or ".npz" suffix is dropped.
        obj: an array, a tuple/list of arrays, or a dict from str to array.

    Returns:
        The path written.
    """
    if isinstance(obj, dict):
        kind, arrays = "dict", dict(obj)
    elif isinstance(obj, (tuple, list)):
        kind, arrays = "tuple", {f"arr_{i}": value for i, value in enumerate(obj)}
    else:
        kind, arrays = "array", {"arr_0": obj}
    if _KIND_KEY in arrays:
        raise ValueError(f"{_KIND_KEY!r} is a reserved key and cannot be saved")
    arrays[_KIND_KEY] = np.array(kind)  # a unicode scalar array: stored without pickle
    return save_arrays(RESULTS_DIR / _strip_suffix(filename), arrays)


def load_result(filename: str):
    """Load a result written by `save_result`, as the same kind of object.

    Args:
        filename: base name as given to `save_result`.

    Returns:
        The dict, the tuple of arrays, or the single array that was saved.
    """
    arrays = load_arrays(RESULTS_DIR / (_strip_suffix(filename) + ".npz"))
    kind = str(arrays.pop(_KIND_KEY, "dict"))
    if kind == "array":
        return arrays["arr_0"]
    if kind == "tuple":
        return tuple(arrays[f"arr_{i}"] for i in range(len(arrays)))
    return arrays


def _strip_suffix(filename: str) -> str:
    name = str(filename)
    for suffix in (".pkl", ".npz"):
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return name
