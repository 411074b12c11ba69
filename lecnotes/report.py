"""How the book writes a result measured over several seeds: the mean, then the range.

Three seeds are too few for a standard deviation to mean much, so the book shows all of them
at once: the mean, and the smallest and largest run, as ``0.507 (0.489 to 0.521)``. Prose,
tables and chart legends all use this one form.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ._checks import names
from .glue import glue


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
    if isinstance(values, str) or not isinstance(values, (torch.Tensor, Sequence, np.ndarray)):
        raise TypeError(f"values must be a tensor, array, list or tuple of the runs' results, got "
                        f"{values!r}")
    given = torch.as_tensor(values)
    if given.is_complex() or given.dtype == torch.bool:
        raise TypeError(f"values must be real numbers, got {given.dtype} {values!r}")
    try:
        format(0.5, fmt)
    except (ValueError, TypeError):
        raise ValueError(f"fmt must be a format spec for a number, such as '.3f' or '.1%', got "
                         f"{fmt!r}") from None
    v = given.to(torch.float64).flatten()
    if v.numel() == 0:
        raise ValueError("spread needs at least one value, got none")
    if not bool(v.isfinite().all()) or not math.isfinite(v.mean().item()):
        raise ValueError(f"values must be finite numbers whose mean is finite, got {values!r}; a nan "
                         "or inf usually comes from a run that blew up")
    return f"{v.mean().item():{fmt}} ({v.min().item():{fmt}} to {v.max().item():{fmt}})"


def standard_error(per_image: torch.Tensor) -> torch.Tensor:
    """The measurement noise of a mean over images: ``std / sqrt(n)`` along the last axis.

    Give it per-image losses (or hits) of one head, ``[..., images]``, for the noise of its
    mean loss; give it per-image *differences* between two heads scored on the same images for
    the noise of a paired comparison, which is usually much smaller.

    Example:
        >>> standard_error(torch.tensor([0.0, 1.0, 0.0, 1.0]))
        tensor(0.2887, dtype=torch.float64)
    """
    v = torch.as_tensor(per_image, dtype=torch.float64)
    if v.shape[-1] < 2:
        raise ValueError(f"standard_error needs at least 2 images along the last axis, got shape "
                         f"{tuple(v.shape)}")
    return v.std(-1) / v.shape[-1] ** 0.5


@dataclass(frozen=True)
class Difference:
    """How two settings compare on the same images, against the two kinds of noise.

    Attributes:
        mean: mean over seeds of a's mean loss minus b's.
        seed_spread: the wider of the two settings' ranges over seeds (max - min).
        noise: the standard error of the per-image difference (each image's loss averaged over
            the seeds first): what another draw of the same number of images could change.
    """

    mean: float
    seed_spread: float
    noise: float

    @property
    def clear(self) -> bool:
        """The difference is larger than the seed spread and than twice the measurement noise."""
        return abs(self.mean) > max(self.seed_spread, 2 * self.noise)

    @property
    def verdict(self) -> str:
        """The comparison in words, for the prose."""
        if self.clear:
            return "larger than the seed spread and the measurement noise"
        return "not larger than the seed spread and the measurement noise, so not a difference"


def difference(a: torch.Tensor, b: torch.Tensor) -> Difference:
    """Compare two settings scored on the same images: per-image losses ``[seeds, images]`` each.

    Example:
        >>> a = torch.tensor([[0.5, 0.7], [0.6, 0.8]])
        >>> d = difference(a, a - 0.1)
        >>> round(d.mean, 3), round(d.noise, 3), d.clear
        (0.1, 0.0, False)
    """
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    if a.shape != b.shape or a.dim() != 2:
        raise ValueError(f"a and b must be per-image losses of the same shape [seeds, images], got "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    runs_a, runs_b = a.mean(1), b.mean(1)
    spread_ = max(float(runs_a.max() - runs_a.min()), float(runs_b.max() - runs_b.min()))
    return Difference(float((runs_a - runs_b).mean()), spread_,
                      float(standard_error((a - b).mean(0))))


def compare(result, i: int, j: int, at: str = "final", split: str = "valid") -> Difference:
    """Setting ``i`` of a sweep against setting ``j``, every seed scored on the same images.

    Args:
        result: a :class:`~lecnotes.sweep.Sweep` (anything with its ``per_image``).
        i, j: indices into its settings; the difference is ``i``'s loss minus ``j``'s.
        at: ``"best"`` (each head at its epoch of lowest validation loss) or ``"final"``.
        split: the images to score on, ``"valid"`` or ``"test"``.
    """
    loss, _ = result.per_image(split, rows=[i, j], at=at)
    return difference(loss[0], loss[1])


def sweep_table(result, labels: Sequence[str] | None = None, name: str = "ps") -> str:
    """A Markdown table of a :class:`~lecnotes.sweep.Sweep`: one row per setting, each cell a
    :func:`spread` over the seeds.

    Columns: the training loss of the last epoch (dropout on, as reported), the lowest
    validation loss and the epoch of each seed where it came, the final validation loss, and
    the best and final validation accuracy.

    Args:
        result: the sweep.
        labels: one label per setting (default: the settings as written).
        name: the heading of the first column.
    """
    labels = [str(s) for s in result.settings] if labels is None else \
        list(names(labels, "labels", "one label per setting"))
    if len(labels) != len(result.settings):
        raise ValueError(f"labels has {len(labels)} entries for {len(result.settings)} settings")
    rows = [f"| {name} | training loss, last epoch | lowest validation loss | at epoch "
            "| final validation loss | best accuracy | final accuracy |",
            "|---|---|---|---|---|---|---|"]
    for i, label in enumerate(labels):
        epochs = ", ".join(str(int(e)) for e in result.best_epoch()[i])
        rows.append(f"| {label} | {spread(result.final('train_loss')[i])} | {spread(result.best()[i])} "
                    f"| {epochs} | {spread(result.final()[i])} "
                    f"| {spread(result.best('valid_acc')[i], '.1%')} "
                    f"| {spread(result.final('valid_acc')[i], '.1%')} |")
    return "\n".join(rows)


def claim(name: str, value: object, fmt: str | None = None, *, holds: object = True) -> None:
    """State a number in the prose and check what the prose says about it, in one call.

    A chapter computes a value, states it in a sentence and says something about it ("every
    seed is above", "within the noise"). ``claim`` glues the value under ``name`` for that
    sentence, formatted once by ``fmt`` (see :func:`lecnotes.glue.glue`), but only when
    ``holds``, the condition the sentence states, is true. A re-run whose numbers no longer
    carry the sentence then fails, instead of printing a sentence the numbers contradict.

    Args:
        name: the glue key the prose uses.
        value: the number (or text) the prose shows.
        fmt: its format spec, e.g. ``".3f"`` or ``".1%"``; None for text or an exact setting.
        holds: the sentence's condition: a bool, numpy's bool or a one-element bool tensor.

    Raises:
        AssertionError: ``holds`` is false; the message names ``name`` and the value, and
            nothing is glued.
        TypeError: ``holds`` is not a truth value (a tensor of many, say).
    """
    if isinstance(holds, torch.Tensor) and holds.dtype == torch.bool and holds.numel() == 1:
        holds = bool(holds)
    if not isinstance(holds, (bool, np.bool_)):
        raise TypeError(f"holds must be True or False (the claim {name!r} makes), got "
                        f"{holds!r:.60}; reduce a tensor with .all() or .any()")
    if not holds:
        raise AssertionError(f"the prose's claim about {name!r} does not hold in this run "
                             f"(the value is {value!r:.60})")
    glue(name, value, fmt)


DIFFERENCE_PARTS = ("d", "spread", "noise", "verdict")
"""What :func:`claim_difference` can glue of a :class:`Difference`, in the prose's order."""


def claim_difference(name: str, d: Difference, parts: str = "d spread noise verdict",
                     fmt: str = ".3f", *, holds: object = True) -> None:
    """State a comparison in the prose and check what the prose says about it, in one call.

    A comparison has up to four parts: its size, the seed spread and the noise it is weighed
    against, and the verdict in words. Each part asked for is glued under
    ``f"{name}_{part}"`` by :func:`claim`, all under the sentence's one condition.

    Args:
        name: the prefix of the glue keys, e.g. ``"ch3_early"`` for ``ch3_early_d``.
        d: the comparison, from :func:`difference` or :func:`compare`.
        parts: the parts the prose shows, separated by spaces: ``d`` (the size,
            ``abs(d.mean)``, as the prose says the direction in words), ``spread``
            (``d.seed_spread``), ``noise`` (``d.noise``) and ``verdict`` (``d.verdict``).
        fmt: the format of the size, the spread and the noise (``".1%"`` for accuracy).
        holds: the sentence's condition, e.g. ``d.mean > 0 and not d.clear`` for "higher,
            but within the noise"; as for :func:`claim`, nothing is glued if it is false.

    Raises:
        TypeError: ``d`` is not a :class:`Difference`.
        ValueError: ``parts`` names no part, or one not in :data:`DIFFERENCE_PARTS` (checked first).

    Example:
        >>> d = difference(torch.tensor([[0.5, 0.7]]), torch.tensor([[0.4, 0.6]]))
        >>> claim_difference("ch9_gap", d, "d size")
        Traceback (most recent call last):
        ...
        ValueError: parts must be among d, spread, noise, verdict, got 'size' in 'd size'
    """
    if not isinstance(d, Difference):
        raise TypeError(f"d must be a Difference, from difference() or compare(), got {d!r:.60}")
    asked = parts.split() if isinstance(parts, str) else []
    wrong = [part for part in asked if part not in DIFFERENCE_PARTS] or ([] if asked else [""])
    if wrong:
        raise ValueError(f"parts must be among {', '.join(DIFFERENCE_PARTS)}, got "
                         f"{wrong[0]!r} in {parts!r}")
    values = {"d": (abs(d.mean), fmt), "spread": (d.seed_spread, fmt),
              "noise": (d.noise, fmt), "verdict": (d.verdict, None)}
    for part in asked:
        claim(f"{name}_{part}", *values[part], holds=holds)
