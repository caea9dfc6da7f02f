"""Specification of `lib.cli.allocator.keep_freed_memory`: a process setting that changes speed, never results."""
import platform
import sys

from lib.cli import allocator
from lib.cli.allocator import keep_freed_memory


def test_it_applies_on_linux_with_glibc():
    expected = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert keep_freed_memory() is expected
    assert keep_freed_memory() is expected  # calling it again is harmless


def test_it_does_nothing_on_other_systems(monkeypatch):
    monkeypatch.setattr(allocator.sys, "platform", "darwin")
    assert keep_freed_memory() is False
