"""Keep freed memory in the process, so a training step's large temporaries reuse warm pages.

glibc's malloc returns every block over its mmap threshold (128 KiB, raised adaptively) to the kernel when it is
freed, and the next allocation of that size faults its pages in again, zeroed. A stacked RRR step makes and frees
several such tensors per step, so much of its time can go to those page faults (``benchmarks/bench_rrr_step.py``
measures the step with and without this). Serving blocks up to 32 MiB from the heap and keeping up to 1 GiB of freed
heap instead removes them. Numbers do not change.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def reuse_freed_memory(mmap_threshold_mib: int = 32, trim_threshold_mib: int = 1024) -> bool:
    """Ask glibc's malloc to serve blocks up to ``mmap_threshold_mib`` from the heap and to keep up to
    ``trim_threshold_mib`` of freed heap for reuse. Call it once, early; it affects the whole process.

    Returns whether it took effect: False where the C library is not glibc (macOS, Windows, musl), which is left as
    it is. The same can be had without code: ``MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824``.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018 (glibc only: musl has mallopt as a no-op and no such symbol)
    except (OSError, AttributeError):
        return False
    mib = 1024 * 1024
    return bool(mallopt(_M_MMAP_THRESHOLD, mmap_threshold_mib * mib)) and bool(
        mallopt(_M_TRIM_THRESHOLD, trim_threshold_mib * mib)
    )
