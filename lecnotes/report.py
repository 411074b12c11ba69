"""How the book writes a result measured over several seeds: the mean, then the range.

Three seeds are too few for a standard deviation to mean much, so the book shows all of them
at once: the mean, and the smallest and largest run, as ``0.507 (0.489 to 0.521)``. Prose,
tables and chart legends all use this one form.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def spread(values: torch.Tensor | Sequence[float], fmt: str = ".3f") -> str:
    """``"mean (min to max)"`` of ``values``, each formatted with ``fmt``.

    Args:
        values: the runs' results, any shape (all entries count as runs).
        fmt: a format spec such as ``".3f"``, ``".1%"`` or ``".0f"``.

    Example:
        >>> spread([0.5, 0.25, 0.75])
        '0.500 (0.250 to 0.750)'
        >>> spread(torch.tensor([0.81, 0.84]), ".1%")
        '82.5% (81.0% to 84.0%)'
    """
    v = torch.as_tensor(values, dtype=torch.float64).flatten()
    if v.numel() == 0:
        raise ValueError("spread needs at least one value, got none")
    return f"{v.mean().item():{fmt}} ({v.min().item():{fmt}} to {v.max().item():{fmt}})"
