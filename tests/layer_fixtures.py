"""Helpers that several test modules share: PyTorch fixture cases, the batch-innermost layout, PNG sizes, digits.

The fixture files in tests/fixtures/ were written by tools/generate_layer_fixtures.py with PyTorch in
float64; reading them needs numpy only.
"""
import struct
from pathlib import Path

import numpy as np

from lib.utilities import one_hot_encoding

FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures"


def load_cases(file_name):
    """The fixture file's cases in order, each a dict {array name: array} (keys "caseNN/<name>" in the file)."""
    cases = {}
    with np.load(FIXTURE_DIR / file_name, allow_pickle=False) as data:
        for key in data.files:
            case, name = key.split("/", 1)
            cases.setdefault(case, {})[name] = data[key]
    return [cases[case] for case in sorted(cases)]


def batch_innermost(x):
    """The same values as x, stored as (C, H, W, N): the layout of Conv2d's (N, C, H, W) output views."""
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)  # (N, C, H, W) view


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    """(width, height) of a PNG file, read from its IHDR chunk; fails if the file is not a PNG."""
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR", f"{path} is not a PNG file"
    return struct.unpack(">II", data[16:24])


def synthetic_digits(n, rng):
    """(n, 1, 28, 28) float32 images of 10 classes, class k a 6x6 square at a place fixed by k, plus noise."""
    labels = rng.randint(0, 10, n)
    images = 0.1 * rng.rand(n, 1, 28, 28).astype(np.float32)
    for k in range(10):
        row, col = 3 + 9 * (k // 4), 2 + 6 * (k % 4)
        images[labels == k, 0, row:row + 6, col:col + 6] += 0.9
    return images, one_hot_encoding(labels, 10)
