"""Reproducibility: one call at the top of every chapter.

Seeds every random number generator the book uses and fixes the number of CPU threads, since
the order in which threads add up numbers changes the last bits of a result, and training
amplifies those bits.
"""

from __future__ import annotations

import random

import torch

THREADS = 2
"""Threads used by the book: the 2 cores the stored outputs were produced on."""


def setup(seed: int = 0, threads: int = THREADS) -> None:
    """Seed Python's and torch's generators and fix torch's thread count.

    Example:
        >>> setup(seed=0)
        >>> torch.get_num_threads()
        2
    """
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # only allowed before the first parallel work; later calls are fine
        pass
    torch.use_deterministic_algorithms(True)
