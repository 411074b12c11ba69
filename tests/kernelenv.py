"""The environment every notebook kernel of ours runs in: the one place it is defined.

Two settings decide whether a stored output can be compared or rebuilt:

* no ``MPLBACKEND``: a kernel started with it set (``Agg``, say, from a user's shell or a CI
  image) draws no figure, so every figure cell fails nbval and the site shows
  ``<Figure size ...>`` text instead of the image;
* ``LECNOTES_PROGRESS=0``: no tqdm bars, whose text and timings would land in stored outputs.

pytest (the root ``conftest.py``), ``scripts/execute.py``, ``bench/bench.py``, the site
build of the browser tests and the nbgrader tests all take their environment from here.
``make lab`` does not: a student's JupyterLab shows the progress bars.

One more is for speed alone: ``DEFAULTS``' glibc settings, which stop big tensors' memory
from going back to the system between training steps.

Kernels started side by side (pytest's workers, two graders) also take :func:`sharing`, so
that they split the cores instead of fighting over them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

UNSET = ("MPLBACKEND",)
SET = {"LECNOTES_PROGRESS": "0"}
# Trap: glibc hands every freed block over 32 MiB back to the system at once, so a training
# loop that frees and allocates the same big tensors each step (a sweep's stacked gradients,
# 126 MB on the big body) has the system zero fresh pages for it every step: about a sixth of
# the big body's sweep went on page faults. With these settings blocks under 256 MiB stay in
# the process, which then keeps up to 1 GiB it no longer uses (a tenth more peak memory in
# that sweep). No result changes: torch aligns every tensor the same way whichever memory it
# gets. A GLIBC_TUNABLES already set is kept as it is.
DEFAULTS = {"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=268435456:"
                              "glibc.malloc.trim_threshold=1073741824"}


def kernel_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default ``os.environ``) fit for our kernels.

    Example:
        >>> env = kernel_env({"MPLBACKEND": "Agg", "HOME": "/h"})
        >>> sorted(env)
        ['GLIBC_TUNABLES', 'HOME', 'LECNOTES_PROGRESS']
        >>> env["LECNOTES_PROGRESS"]
        '0'
    """
    env = dict(os.environ if base is None else base)
    for name in UNSET:
        env.pop(name, None)
    env.update(SET)
    return {**DEFAULTS, **env}


def apply() -> None:
    """Make this process's own environment :func:`kernel_env`, for the kernels it starts."""
    for name in UNSET:
        os.environ.pop(name, None)
    os.environ.update(SET)
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)


def sharing(processes: int) -> dict[str, str]:
    """Settings for the kernels of ``processes`` processes that run side by side on these cores.

    Each kernel gets its share of the cores as torch threads (``LECNOTES_THREADS``, which
    ``L.setup()`` reads). Where the cores are shared, idle OpenMP threads sleep instead of
    spinning (``OMP_WAIT_POLICY=PASSIVE``), so that they do not take a core from the next
    process. A lone process keeps OpenMP's default: its threads then wait for the next of a
    small head's many small operations on cores no one else wants, where waking them from
    sleep every time made grading a3 a third slower. Neither setting changes a result: the
    tests compare no output that depends on the thread count.

    Example:
        >>> sharing(1) == {"LECNOTES_THREADS": str(os.cpu_count() or 1)}
        True
        >>> sharing(10 * (os.cpu_count() or 1))
        {'LECNOTES_THREADS': '1', 'OMP_WAIT_POLICY': 'PASSIVE'}
    """
    share = max(1, (os.cpu_count() or 1) // processes)
    passive = {"OMP_WAIT_POLICY": "PASSIVE"} if processes > 1 else {}
    return {"LECNOTES_THREADS": str(share), **passive}
