"""Reproducibility: one call at the top of every chapter.

Seeds every random number generator the book uses and fixes the number of CPU threads, since
the order in which threads add up numbers changes the last bits of a result, and training
amplifies those bits.

On a GPU, deterministic algorithms also need cuBLAS to use a fixed workspace: the environment
variable ``CUBLAS_WORKSPACE_CONFIG`` must be set before CUDA starts. :func:`setup` sets it (unless
it is set already), so call it before any CUDA work: at the top of the notebook.

:func:`isolated_rng` is the one way the package keeps a computation's random draws to itself
(a learner's, a sweep's): on the CPU and, once CUDA has started, on every GPU.
"""

from __future__ import annotations

import os
import random
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import torch

from ._checks import positive_int
from ._checks import seed as check_seed

THREADS = 2
"""Threads used by the book: the 2 cores the stored outputs were produced on.

The thread count changes only the last bits of a sum, and no output the tests compare exactly
depends on those bits (they are rounded, or asserted within a tolerance), so a machine may use
fewer: ``$LECNOTES_THREADS`` overrides this default. A JupyterHub node that runs many kernels,
or a test run with one worker per core, sets it to 1, so that no two kernels fight over a core.
"""

MAX_THREADS = 1024
"""The largest thread count taken: more than any machine the book runs on has cores."""

CUBLAS_WORKSPACE_CONFIG = ":4096:8"
"""``CUBLAS_WORKSPACE_CONFIG`` for repeatable cuBLAS results (NVIDIA documents this and ``:16:8``)."""


def default_threads() -> int:
    """``$LECNOTES_THREADS`` when it is set, else :data:`THREADS`.

    Raises:
        ValueError: ``LECNOTES_THREADS`` is set to something other than a positive integer.

    """
    value = os.environ.get("LECNOTES_THREADS", "").strip()
    if not value:
        return THREADS
    # isascii: str.isdigit is also true for '²' and other digits int() does not read
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_THREADS:
        raise _bad_threads("LECNOTES_THREADS", repr(value),
                           f"set it to 1, 2, ... or unset it for the default {THREADS}")
    return int(value)


def _bad_threads(name: str, got: str, fix: str) -> ValueError:
    """The error for a thread count outside 1 to :data:`MAX_THREADS`, with ``fix``."""
    return ValueError(f"{name} must be a positive integer up to {MAX_THREADS} "
                      f"(torch's CPU thread count), got {got}: {fix}")


def setup(seed: int = 0, threads: int | None = None) -> None:
    """Seed Python's and torch's generators, fix torch's thread count, use deterministic algorithms.

    ``torch.manual_seed`` seeds the CPU and every GPU (lazily if CUDA is not started).

    Args:
        seed: the seed for Python's ``random`` and for torch on every device.
        threads: torch's CPU thread count; default :func:`default_threads`.

    Raises:
        ValueError: ``seed`` is not an integer, or ``threads`` (or
            ``$LECNOTES_THREADS``) not a positive one.

    Warns:
        UserWarning: CUDA started before ``CUBLAS_WORKSPACE_CONFIG`` was set, so
            cuBLAS may ignore it and deterministic GPU matrix products can fail.

    Example:
        >>> setup(seed=0, threads=2)
        >>> torch.get_num_threads()
        2
    """
    seed = check_seed(seed)
    threads = default_threads() if threads is None else _threads(threads)
    _fix_cublas_workspace()
    random.seed(seed)
    torch.manual_seed(seed)  # seeds every CUDA device too (torch.cuda.manual_seed_all)
    torch.set_num_threads(threads)
    with suppress(RuntimeError):  # only allowed before the first parallel work
        torch.set_num_interop_threads(1)
    deterministic_algorithms()


def _threads(threads: object) -> int:
    """``threads`` as an ``int`` if it is from 1 to :data:`MAX_THREADS`."""
    count: int = positive_int(threads, "threads",
                              "torch's CPU thread count")  # type: ignore[assignment]
    if count > MAX_THREADS:
        raise _bad_threads("threads", str(count), "use the number of cores, or leave "
                           "it out for the default")
    return count


def _fix_cublas_workspace() -> None:
    """Set ``CUBLAS_WORKSPACE_CONFIG`` unless it is set; warn if CUDA started before."""
    was_set = "CUBLAS_WORKSPACE_CONFIG" in os.environ
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE_CONFIG)
    if not was_set and torch.cuda.is_initialized():
        warnings.warn(
            "CUDA had already started when setup() set CUBLAS_WORKSPACE_CONFIG="
            f"{CUBLAS_WORKSPACE_CONFIG}, which cuBLAS may then ignore: with "
            "deterministic algorithms on, GPU matrix products can fail or differ "
            "between runs. Call setup() first, before anything uses the GPU (restart "
            f"the kernel), or set CUBLAS_WORKSPACE_CONFIG={CUBLAS_WORKSPACE_CONFIG} in "
            "the environment before starting Python.",
            stacklevel=3,  # the line that called setup()
        )


def deterministic_algorithms() -> None:
    """Make torch use deterministic algorithms, without loading its compiler.

    ``torch.use_deterministic_algorithms(True)`` also imports the compiler (about 900
    modules, 2-3 s) to set its flag, which a notebook that never compiles need not pay.
    So the compiler's flag is set through ``TORCHINDUCTOR_DETERMINISTIC``, read when it
    loads, and torch's own through its private setter; where that setter is missing or
    the compiler is loaded, the public call does both.

    Example:
        >>> deterministic_algorithms()
        >>> torch.are_deterministic_algorithms_enabled()
        True
    """
    os.environ["TORCHINDUCTOR_DETERMINISTIC"] = "1"
    set_eager = getattr(torch._C, "_set_deterministic_algorithms", None)
    if set_eager is None or "torch._inductor.config" in sys.modules:
        torch.use_deterministic_algorithms(True)
    else:
        set_eager(True, warn_only=False)


@contextmanager
def isolated_rng() -> Iterator[None]:
    """Fork torch's random state: whatever is drawn or seeded inside leaves the outside as it was.

    ``torch.random.fork_rng(devices=[])`` forks the CPU's state only, so on a GPU the draws made
    inside (dropout masks, ``manual_seed``) would change the GPU's global state, and runs meant
    to be seeded and independent would not be. This forks the CPU's state and, when CUDA has
    started, that of every CUDA device. On the CPU it draws exactly what ``fork_rng`` does.

    Example:
        >>> _ = torch.manual_seed(0)
        >>> with isolated_rng():
        ...     _ = torch.manual_seed(123)
        ...     inside = torch.rand(2)
        >>> after = torch.rand(2)
        >>> _ = torch.manual_seed(0)
        >>> torch.equal(after, torch.rand(2))  # as if nothing had been drawn inside
        True
    """
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    with torch.random.fork_rng(devices=devices):
        yield
