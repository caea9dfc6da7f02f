"""Keep freed memory inside the process, so that a training loop does not pay for fresh pages on every step.

A training step allocates and frees the same multi-megabyte arrays again and again: layer outputs,
their gradients, the padded inputs of convolutions. With its default settings glibc's `malloc`, which
numpy allocates from on Linux, serves large blocks with pages fresh from the kernel and hands free
memory at the top of its heap back to the kernel once there is more than a threshold of it. The
kernel then zeroes new pages for the next step, one page fault per 4 KiB, and whether a given array
pays for that depends on where it happens to lie in the heap: timings jump from run to run.
`keep_freed_memory` fixes both thresholds, so freed blocks are reused by the next step instead.

It changes a setting of the whole process, so scripts and benchmarks call it at their start
(`run_strong_conv_experiment.py`, `benchmarks/`), never a layer. Elsewhere (macOS, Windows, a C
library without glibc's `mallopt`) it does nothing.
"""
import ctypes
import sys

# `mallopt` parameters, from glibc's malloc.h.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
# Blocks up to this size come from the reusable heap: 32 MiB is the largest threshold glibc would
# reach by itself. Larger blocks (a shuffled copy of the training images) still get pages of their
# own and go back to the kernel when freed, so the memory kept stays bounded by the working set.
MMAP_THRESHOLD_BYTES = 32 << 20
# Free memory at the top of the heap is handed back to the kernel only beyond this much.
TRIM_THRESHOLD_BYTES = 1 << 30


def keep_freed_memory() -> bool:
    """Ask the C library's `malloc` to keep freed memory for reuse (glibc on Linux only).

    Returns:
        True if both settings were applied, False where they do not exist (other systems or C
        libraries) or were refused; the program computes the same either way.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    mmap_set = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    return bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)) and mmap_set
