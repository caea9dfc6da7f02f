"""Specification of `lib.allocator.keep_freed_memory`: a process setting that changes speed, never results."""
import platform
import sys

import numpy as np

from lib.allocator import keep_freed_memory
from lib.convolutions import Conv2d


def test_it_applies_on_linux_with_glibc_and_does_nothing_elsewhere():
    expected = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert keep_freed_memory() is expected
    assert keep_freed_memory() is expected  # calling it again is harmless


def test_a_layer_computes_the_same_with_freed_memory_kept():
    x = np.random.default_rng(0).standard_normal((4, 2, 9, 9))
    np.random.seed(0)
    before = Conv2d(2, 3, (3, 3), padding=(1, 1))(x)
    keep_freed_memory()
    np.random.seed(0)
    np.testing.assert_array_equal(Conv2d(2, 3, (3, 3), padding=(1, 1))(x), before)
