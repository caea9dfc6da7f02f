"""MNIST from the IDX files shipped under `data/`: offline, checksum-verified, in the course's split.

The course downloaded a pickle (`mnist.pkl.gz`) into `../data`, outside the repository. This
module reads the four original MNIST IDX files that the project ships in `data/` instead, so
nothing touches the network. A file that is missing is downloaded from the public MNIST mirrors
(the ones torchvision uses), verified, and only then written (atomically) into `data/`.

What is verified is the sha256 of the *uncompressed* IDX content. The shipped `.gz` files are
recompressed copies whose bytes differ from the mirrors' original archives, but both decompress
to byte-identical IDX files (see `data/README.md`), so one content checksum accepts either
source and rejects anything else. Hashing the content is cheap next to decompressing it.

IDX format (all header integers big-endian int32): images = magic 2051, count, rows, cols, then
count*rows*cols bytes; labels = magic 2049, count, then count bytes.
"""
import gzip
import hashlib
import struct
import sys
import zlib
from http.client import HTTPException
from pathlib import Path
from typing import NamedTuple, Optional, Tuple, Union
from urllib.request import urlopen

import numpy as np

from lib.utilities import LibraryError, atomic_write, one_hot_encoding

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/")
NUM_CLASSES = 10
NUM_TRAIN = 50000  # the first 50,000 training images; the last 10,000 are the validation set
IMAGE_SIDE = 28
DOWNLOAD_TIMEOUT_S = 60
SHAPES_LINE = "Train:\tX {}\ty {}\nVal:\tX {}\ty {}\nTest:\tX {}\ty {}"  # the course's printed line
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049  # the first header integer of an IDX image or label file


class MnistFile(NamedTuple):
    """What one MNIST file must contain.

    Attributes:
        name: file name in the data directory and on the mirrors.
        magic: IDX magic number (2051 for images, 2049 for labels).
        count: number of images or labels.
        sha256: sha256 of the uncompressed IDX content (the check that is enforced).
        gz_sha256: sha256 of the `.gz` file shipped in `data/` (recompressed, gzip level 9, mtime 0).
        mirror_gz_sha256: sha256 of the original `.gz` archive served by the mirrors.
    """

    name: str
    magic: int
    count: int
    sha256: str
    gz_sha256: str
    mirror_gz_sha256: str


TRAIN_IMAGES = MnistFile(
    "train-images-idx3-ubyte.gz", IMAGES_MAGIC, 60000,
    "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "71524e2cd1ad2968737f7f2f2ff69cbfc32df8ccddff51593f7cb2d4e0eb5b64",
    "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609")
TRAIN_LABELS = MnistFile(
    "train-labels-idx1-ubyte.gz", LABELS_MAGIC, 60000,
    "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "fe03b8bd7915f70bf5aa08be480aa413fbd85afcaa58b35d230d335f284fd88e",
    "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c")
TEST_IMAGES = MnistFile(
    "t10k-images-idx3-ubyte.gz", IMAGES_MAGIC, 10000,
    "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "5634745efa576a17e7d4cf5cd9d09123c75e6538e5114267c2d156edaf519341",
    "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6")
TEST_LABELS = MnistFile(
    "t10k-labels-idx1-ubyte.gz", LABELS_MAGIC, 10000,
    "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    "ae18e77e031ccde52407f794d123116439864147d33ac992975f85dd4dc42af6",
    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6")
MNIST_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)
_SPECS = {spec.name: spec for spec in MNIST_FILES}

PathLike = Union[str, Path]


class MnistFileError(LibraryError, ValueError):
    """An MNIST file is truncated, corrupt or not the expected IDX file; the message says how to fix it."""


class MnistDownloadError(LibraryError, OSError):
    """A missing MNIST file could not be fetched from any mirror."""


def load_mnist_data(data_dir: Optional[PathLike] = None) -> Tuple[np.ndarray, ...]:
    """Load MNIST in the course's split, printing the shapes.

    Reads the four IDX files from `data_dir` (downloading any missing one from the public
    mirrors) and verifies each against its known checksum before use.

    Args:
        data_dir: directory holding the four `.gz` files; defaults to the project's `data/`
            (resolved from this file, so any working directory works).

    Returns:
        (x_train, x_val, x_test, y_train, y_val, y_test):
        x_train (50000, 1, 28, 28), x_val (10000, 1, 28, 28), x_test (10000, 1, 28, 28): float32
        in [0, 1) (pixel / 256, as in the course's mnist.pkl.gz); x_train and x_val are views of one
        (60000, 1, 28, 28) array;
        y_train (50000, 10), y_val (10000, 10), y_test (10000, 10): one-hot float64.

    Raises:
        MnistFileError (a ValueError): a file is truncated, corrupt or not the expected IDX file.
        MnistDownloadError (an OSError): a missing file could not be downloaded.
    """
    data_dir = DATA_DIR if data_dir is None else Path(data_dir)
    train_images, train_labels, test_images, test_labels = (
        read_mnist_file(data_dir / spec.name) for spec in MNIST_FILES)
    x_all, x_test = _to_unit_float(train_images), _to_unit_float(test_images)  # (60000 | 10000, 1, 28, 28)
    y_all, y_test = (one_hot_encoding(y, NUM_CLASSES) for y in (train_labels, test_labels))  # (60000 | 10000, 10)

    x_train, x_val = x_all[:NUM_TRAIN], x_all[NUM_TRAIN:]
    y_train, y_val = y_all[:NUM_TRAIN], y_all[NUM_TRAIN:]
    print(SHAPES_LINE.format(x_train.shape, y_train.shape, x_val.shape, y_val.shape, x_test.shape, y_test.shape))
    return x_train, x_val, x_test, y_train, y_val, y_test


def read_mnist_file(path: PathLike) -> np.ndarray:
    """Read one of the four MNIST files, downloading it first if it is missing.

    Args:
        path: location of the file; its name must be one of the four MNIST file names.

    Returns:
        uint8 array: images (count, 28, 28) or labels (count,), read-only (a view of the file's bytes).

    Raises:
        ValueError: if the file name is not one of the four MNIST names.
        MnistFileError: the file is truncated, corrupt or not the expected IDX file.
        MnistDownloadError: the file is missing and no mirror delivered a verified copy.
    """
    path = Path(path)
    spec = _SPECS.get(path.name)
    if spec is None:
        raise ValueError(f"unknown MNIST file {path.name!r}: expected one of {', '.join(_SPECS)}")
    if path.is_file():
        content = _verified_content(path.read_bytes(), spec, str(path), _fix_hint(path))
    else:
        content = _fetch(path, spec)
    return _parse_idx(content, spec)


def _fix_hint(path: Path) -> str:
    return (f"To fix it, delete {path} so that the next load_mnist_data() call downloads a verified copy, "
            f"or restore the shipped file (git checkout -- data/{path.name}).")


def _verified_content(compressed: bytes, spec: MnistFile, source: str, fix: str) -> bytes:
    """Decompress a `.gz` file, then check its IDX header and the sha256 of its content.

    Args:
        compressed: the bytes of the `.gz` file.
        spec: what the file must contain.
        source: where the bytes come from (a path or URL), named in errors.
        fix: how to fix a bad file, appended to errors.

    Returns:
        The uncompressed IDX content.

    Raises:
        MnistFileError: naming `source`, the expected and the found checksum, and `fix`.
    """
    try:
        content = gzip.decompress(compressed)
    except (OSError, EOFError, zlib.error) as error:  # truncated, or not gzip at all
        found = hashlib.sha256(compressed).hexdigest()
        problem = (f"is truncated or not a gzip file ({error}): its sha256 is {found}, "
                   f"expected {spec.gz_sha256} (the shipped file) or {spec.mirror_gz_sha256} (the original archive)")
    else:
        problem = _idx_header_problem(content, spec)
        if problem is None:
            found = hashlib.sha256(content).hexdigest()
            if found == spec.sha256:
                return content
            problem = f"is corrupt: the sha256 of its uncompressed content is {found}, expected {spec.sha256}"
    raise MnistFileError(f"{source} {problem}. {fix}".rstrip())


def _header_format(spec: MnistFile) -> str:
    return ">iiii" if spec.magic == IMAGES_MAGIC else ">ii"  # magic, count[, rows, cols]


def _idx_header_problem(content: bytes, spec: MnistFile) -> Optional[str]:
    """Describe how `content` differs from the IDX header and size that `spec` requires, or return None."""
    kind = "image" if spec.magic == IMAGES_MAGIC else "label"
    header_format = _header_format(spec)
    header_size = struct.calcsize(header_format)
    if len(content) < header_size:
        return f"holds {len(content)} bytes, too few for an IDX {kind} header ({header_size} bytes)"
    magic, count, *dims = struct.unpack_from(header_format, content)
    if magic != spec.magic:
        return f"has IDX magic number {magic}, expected {spec.magic} (an IDX {kind} file)"
    if count != spec.count:
        return f"holds {count} {kind}s, expected {spec.count}"
    if dims and dims != [IMAGE_SIDE, IMAGE_SIDE]:
        return f"holds images of {dims[0]}x{dims[1]} pixels, expected {IMAGE_SIDE}x{IMAGE_SIDE}"
    expected_size = header_size + count * IMAGE_SIDE * IMAGE_SIDE if dims else header_size + count
    if len(content) != expected_size:
        return f"has {len(content)} bytes of IDX data, expected {expected_size} for its header"
    return None


def _parse_idx(content: bytes, spec: MnistFile) -> np.ndarray:
    """Turn verified IDX content into a read-only uint8 array: images (N, 28, 28) or labels (N,)."""
    header_size = struct.calcsize(_header_format(spec))
    values = np.frombuffer(content, dtype=np.uint8, offset=header_size)  # (N * 28 * 28,) or (N,)
    if spec.magic == IMAGES_MAGIC:
        return values.reshape(spec.count, IMAGE_SIDE, IMAGE_SIDE)
    return values


def _to_unit_float(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, H, W) -> float32 (N, 1, H, W) with values pixel / 256, in [0, 0.99609375].

    The course's data file (deeplearning.net's `mnist.pkl.gz`) stores exactly these values: its first
    training image has rows like 3/256 = 0.01171875, 18/256 = 0.0703125, ..., 255/256 = 0.99609375. Using
    the same scale keeps every number computed on the real data the course's; k/256 is exact in float32.
    """
    x = images.astype(np.float32).reshape(images.shape[0], 1, *images.shape[1:])  # (N, 1, H, W)
    x *= np.float32(1 / 256)  # exact: a power of two
    return x


def _fetch(path: Path, spec: MnistFile) -> bytes:
    """Download `spec` from the first mirror that delivers verified content and write it to `path` atomically.

    Returns:
        The verified, uncompressed IDX content.

    Raises:
        MnistDownloadError: no mirror delivered a file whose content checksum matches.
    """
    print(f"File {path} not found, downloading...", flush=True)  # flushed: progress goes to stderr
    failures = []
    for mirror in MIRRORS:
        url = mirror + spec.name
        try:
            compressed = _download(url)
            content = _verified_content(compressed, spec, url, "")
            break
        except (OSError, HTTPException, MnistFileError) as error:
            failures.append(f"{url}: {error}")
            sys.stderr.write(f"  {url} failed: {error}\n")
    else:
        reasons = "\n  ".join(failures)
        raise MnistDownloadError(
            f"could not download {spec.name} from any mirror:\n  {reasons}\nCheck the network connection and "
            f"try again, or copy {spec.name} by hand into {path.parent} (the project ships it in data/).")
    # Only verified bytes reach `path`, and atomically: an interrupted run leaves no half-written file.
    atomic_write(path, lambda f: f.write(compressed))
    print("Downloaded")
    return content


def _download(url: str) -> bytes:
    """Fetch `url` into memory, showing the progress on stderr (the largest MNIST file is ~10 MB).

    Tests replace this function, so the test suite never touches the network.

    Raises:
        OSError: on network errors, or when fewer bytes arrive than the server announced.
    """
    chunks = []
    received, last_percent = 0, -1
    try:
        with urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            total = int(response.headers.get("Content-Length") or 0)  # 0: size not announced
            while True:
                chunk = response.read(1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
                received += len(chunk)
                if total:
                    percent = 100 * received // total
                    if percent == last_percent:
                        continue  # redraw the line only when the percentage changes
                    last_percent = percent
                    progress = f"{percent:3d}% of {total / 1e6:.2f} MB"
                else:
                    progress = f"{received / 1e6:.2f} MB"
                sys.stderr.write(f"\r  {url} {progress}")
                sys.stderr.flush()
    finally:
        if received:
            sys.stderr.write("\n")  # end the progress line, also when the transfer broke off
    if total and received != total:
        raise OSError(f"download of {url} stopped after {received} of {total} bytes")
    return b"".join(chunks)
