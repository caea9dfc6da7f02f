"""Specification of the MNIST loader: the course's split and types, published MNIST facts, checksum
verification with helpful errors, and downloads of missing files (faked: the tests never touch the network)."""
import contextlib
import gzip
import hashlib
import io
import os
import re
import urllib.error

import numpy as np
import pytest

from lib import dataset_mnist
from lib.dataset_mnist import (
                               DATA_DIR,
                               MIRRORS,
                               TEST_IMAGES,
                               TEST_LABELS,
                               TRAIN_IMAGES,
                               TRAIN_LABELS,
                               MnistDownloadError,
                               MnistFileError,
                               load_mnist_data,
                               read_mnist_file,
                               )

# Published MNIST facts (yann.lecun.com/exdb/mnist and every MNIST loader's sanity checks).
TRAIN_COUNTS_60000 = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
FIRST_TRAIN_LABELS = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
FIRST_TEST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
TRAIN_PIXEL_MEAN = 0.1307  # mean of all 60000 training images scaled to [0, 1]

EXPECTED_SHAPES_LINE = ("Train:\tX (50000, 1, 28, 28)\ty (50000, 10)\n"
                        "Val:\tX (10000, 1, 28, 28)\ty (10000, 10)\n"
                        "Test:\tX (10000, 1, 28, 28)\ty (10000, 10)\n")


def _refuse_network(*args, **kwargs):
    raise AssertionError(f"the test touched the network: {args} {kwargs}")


@pytest.fixture
def no_network(monkeypatch):
    monkeypatch.setattr(dataset_mnist, "_download", _refuse_network)
    monkeypatch.setattr(dataset_mnist, "urlopen", _refuse_network)


@pytest.fixture(scope="module")
def mnist():
    """The real data, loaded once for this module with the network blocked; returns (arrays, stdout)."""
    stdout = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(stdout):
        patch.setattr(dataset_mnist, "_download", _refuse_network)
        patch.setattr(dataset_mnist, "urlopen", _refuse_network)
        arrays = load_mnist_data()
    return arrays, stdout.getvalue()


def _shipped_bytes(spec):
    return (DATA_DIR / spec.name).read_bytes()


def _content(spec):
    return gzip.decompress(_shipped_bytes(spec))


# --- the course's split and types ---------------------------------------------------------------

def test_returns_the_course_split_shapes_and_dtypes(mnist):
    (x_train, x_val, x_test, y_train, y_val, y_test), _ = mnist
    assert [x.shape for x in (x_train, x_val, x_test)] == [(50000, 1, 28, 28), (10000, 1, 28, 28),
                                                           (10000, 1, 28, 28)]
    assert [y.shape for y in (y_train, y_val, y_test)] == [(50000, 10), (10000, 10), (10000, 10)]
    assert all(x.dtype == np.float32 for x in (x_train, x_val, x_test))
    assert all(y.dtype == np.float64 for y in (y_train, y_val, y_test))


def test_prints_the_course_shapes_line(mnist):
    _, stdout = mnist
    assert stdout == EXPECTED_SHAPES_LINE


def test_pixels_are_pixel_over_256_as_in_the_course_pickle(mnist, no_network):
    (x_train, x_val, x_test, _, _, _), _ = mnist
    pixels = read_mnist_file(DATA_DIR / TEST_IMAGES.name)  # (10000, 28, 28) uint8
    np.testing.assert_array_equal(x_test[:, 0], (pixels / 256.0).astype(np.float32))
    for x in (x_train, x_val, x_test):
        assert x.dtype == np.float32 and x.min() == 0.0 and x.max() == np.float32(255 / 256)
    # Row 5 of the first training image (a 5), as the classic mnist.pkl.gz holds it.
    np.testing.assert_array_equal(x_train[0, 0, 5, 12:18], [0.01171875, 0.0703125, 0.0703125, 0.0703125,
                                                            0.4921875, 0.53125])
    all_train = np.concatenate([x_train, x_val])
    assert abs(all_train.mean(dtype=np.float64) - TRAIN_PIXEL_MEAN * 255 / 256) < 1e-4


def test_labels_are_one_hot(mnist):
    (_, _, _, y_train, y_val, y_test), _ = mnist
    for y in (y_train, y_val, y_test):
        assert set(np.unique(y)) == {0.0, 1.0}
        np.testing.assert_array_equal(y.sum(axis=1), 1.0)


def test_label_counts_equal_the_published_mnist_counts(mnist):
    (_, _, _, y_train, y_val, y_test), _ = mnist
    train_and_val = np.concatenate([y_train, y_val]).argmax(axis=1)
    assert np.bincount(train_and_val, minlength=10).tolist() == TRAIN_COUNTS_60000
    assert np.bincount(y_test.argmax(axis=1), minlength=10).tolist() == TEST_COUNTS


def test_first_labels_match_the_published_order(mnist):
    (_, _, _, y_train, _, y_test), _ = mnist
    assert y_train[:10].argmax(axis=1).tolist() == FIRST_TRAIN_LABELS
    assert y_test[:10].argmax(axis=1).tolist() == FIRST_TEST_LABELS


def test_validation_is_the_last_10000_training_images(mnist, no_network):
    (x_train, x_val, _, y_train, y_val, _), _ = mnist
    images = read_mnist_file(DATA_DIR / TRAIN_IMAGES.name)  # (60000, 28, 28) uint8
    labels = read_mnist_file(DATA_DIR / TRAIN_LABELS.name)  # (60000,) uint8
    np.testing.assert_array_equal(np.round(x_val[:, 0] * 256), images[50000:])
    np.testing.assert_array_equal(np.round(x_train[[0, -1], 0] * 256), images[[0, 49999]])
    np.testing.assert_array_equal(y_val.argmax(axis=1), labels[50000:])
    np.testing.assert_array_equal(y_train.argmax(axis=1), labels[:50000])


def test_works_from_another_working_directory(tmp_path, monkeypatch, capsys, no_network):
    monkeypatch.chdir(tmp_path)
    x_train, _, _, _, _, y_test = load_mnist_data()
    assert x_train.shape == (50000, 1, 28, 28) and y_test.shape == (10000, 10)
    assert capsys.readouterr().out == EXPECTED_SHAPES_LINE
    assert os.listdir(str(tmp_path)) == []  # nothing written to the working directory


# --- damaged files ------------------------------------------------------------------------------

def test_truncated_gz_raises_naming_the_file_the_checksums_and_the_fix(tmp_path, no_network):
    path = tmp_path / TRAIN_IMAGES.name
    truncated = _shipped_bytes(TRAIN_IMAGES)[:100000]
    path.write_bytes(truncated)
    found = hashlib.sha256(truncated).hexdigest()
    with pytest.raises(MnistFileError) as info:
        load_mnist_data(data_dir=tmp_path)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert str(path) in message and "truncated" in message
    assert found in message and TRAIN_IMAGES.gz_sha256 in message and TRAIN_IMAGES.mirror_gz_sha256 in message
    assert f"delete {path}" in message and f"git checkout -- data/{TRAIN_IMAGES.name}" in message


def test_corrupt_content_raises_with_expected_and_found_content_checksum(tmp_path, no_network):
    content = bytearray(_content(TRAIN_LABELS))
    content[8] = (content[8] + 1) % 10  # change the first label: header intact, checksum wrong
    path = tmp_path / TRAIN_LABELS.name
    path.write_bytes(gzip.compress(bytes(content)))
    found = hashlib.sha256(bytes(content)).hexdigest()
    expected_message = re.escape(f"{path} is corrupt: the sha256 of its uncompressed content is {found}, "
                                 f"expected {TRAIN_LABELS.sha256}. To fix it, delete")
    with pytest.raises(MnistFileError, match=expected_message):
        read_mnist_file(path)


def test_file_that_is_not_gzip_is_rejected(tmp_path, no_network):
    path = tmp_path / TEST_LABELS.name
    path.write_bytes(b"not a gzip file")
    with pytest.raises(MnistFileError, match="is truncated or not a gzip file"):
        read_mnist_file(path)


@pytest.mark.parametrize("stored_as, content_of, message", [
    (TRAIN_IMAGES, TRAIN_LABELS, "has IDX magic number 2049, expected 2051 \\(an IDX image file\\)"),
    (TRAIN_LABELS, TEST_LABELS, "holds 10000 labels, expected 60000"),
])
def test_wrong_idx_header_is_explained(tmp_path, no_network, stored_as, content_of, message):
    path = tmp_path / stored_as.name
    path.write_bytes(gzip.compress(_content(content_of)))
    with pytest.raises(MnistFileError, match=message):
        read_mnist_file(path)


def test_idx_data_shorter_than_its_header_announces_is_rejected(tmp_path, no_network):
    path = tmp_path / TEST_LABELS.name
    path.write_bytes(gzip.compress(_content(TEST_LABELS)[:-1]))
    with pytest.raises(MnistFileError, match="has 10007 bytes of IDX data, expected 10008"):
        read_mnist_file(path)


def test_unknown_file_name_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="unknown MNIST file 'digits.gz': expected one of train-images"):
        read_mnist_file(tmp_path / "digits.gz")


# --- downloading a missing file (with a fake fetch function) ------------------------------------

class FakeMirrors:
    """Stands in for `_download`: answers each URL with the given bytes, or raises the given error."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.urls = []

    def __call__(self, url):
        self.urls.append(url)
        answer = self.answers[len(self.urls) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_missing_file_is_downloaded_verified_and_written(tmp_path, monkeypatch, capsys):
    fake = FakeMirrors(_shipped_bytes(TEST_LABELS))
    monkeypatch.setattr(dataset_mnist, "_download", fake)
    labels = read_mnist_file(tmp_path / TEST_LABELS.name)
    assert fake.urls == [MIRRORS[0] + TEST_LABELS.name]
    assert labels[:10].tolist() == FIRST_TEST_LABELS
    assert (tmp_path / TEST_LABELS.name).read_bytes() == _shipped_bytes(TEST_LABELS)
    assert os.listdir(str(tmp_path)) == [TEST_LABELS.name]  # no temporary file left behind
    out = capsys.readouterr().out
    assert f"{tmp_path / TEST_LABELS.name} not found, downloading..." in out and "Downloaded" in out


def test_download_with_other_gzip_bytes_but_the_same_content_is_accepted(tmp_path, monkeypatch):
    # The mirrors serve the original archives, whose bytes differ from the shipped recompressed files.
    original_style = gzip.compress(_content(TEST_LABELS), compresslevel=6)
    assert original_style != _shipped_bytes(TEST_LABELS)
    monkeypatch.setattr(dataset_mnist, "_download", FakeMirrors(original_style))
    assert np.bincount(read_mnist_file(tmp_path / TEST_LABELS.name)).tolist() == TEST_COUNTS


def test_download_falls_back_to_the_next_mirror(tmp_path, monkeypatch, capsys):
    fake = FakeMirrors(urllib.error.URLError("connection refused"), _shipped_bytes(TEST_LABELS))
    monkeypatch.setattr(dataset_mnist, "_download", fake)
    read_mnist_file(tmp_path / TEST_LABELS.name)
    assert fake.urls == [mirror + TEST_LABELS.name for mirror in MIRRORS]
    assert f"{fake.urls[0]} failed: <urlopen error connection refused>" in capsys.readouterr().err


def test_failed_downloads_raise_and_write_nothing(tmp_path, monkeypatch):
    truncated = _shipped_bytes(TEST_LABELS)[:1000]
    monkeypatch.setattr(dataset_mnist, "_download", FakeMirrors(*[truncated] * len(MIRRORS)))
    with pytest.raises(MnistDownloadError) as info:
        load_mnist_data(data_dir=tmp_path / "data")
    assert isinstance(info.value, OSError)
    message = str(info.value)
    assert f"could not download {TRAIN_IMAGES.name} from any mirror" in message
    assert all(mirror + TRAIN_IMAGES.name + " is truncated" in message for mirror in MIRRORS)
    assert not (tmp_path / "data").exists() or os.listdir(str(tmp_path / "data")) == []


class FakeResponse:
    """The part of an HTTP response that `_download` reads."""

    def __init__(self, body, announced_length):
        self.headers = {"Content-Length": str(announced_length)}
        self._body = io.BytesIO(body)

    def read(self, size):
        return self._body.read(size)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


def test_download_shows_progress(monkeypatch, capsys):
    body = _shipped_bytes(TRAIN_LABELS)
    monkeypatch.setattr(dataset_mnist, "urlopen", lambda url, timeout: FakeResponse(body, len(body)))
    assert dataset_mnist._download("https://mirror.example/x.gz") == body
    err = capsys.readouterr().err
    assert "https://mirror.example/x.gz 100% of 0.03 MB" in err


def test_download_shorter_than_announced_raises(monkeypatch):
    monkeypatch.setattr(dataset_mnist, "urlopen", lambda url, timeout: FakeResponse(b"abc", 10))
    with pytest.raises(OSError, match="stopped after 3 of 10 bytes"):
        dataset_mnist._download("https://mirror.example/x.gz")
