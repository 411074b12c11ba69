"""The book's figures: line charts, mean-and-spread charts, image grids and bar charts.

Every figure gets a title and labelled axes, and lines differ by dash pattern and marker as
well as colour, so they stay readable when printed in grey. Functions return the figure
closed (so a notebook does not show it twice); glue it or ``display`` it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import cycle

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from ._checks import finite_number, names

STYLES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"), ((0, (5, 1, 1, 1)), "v"),
          ((0, (1, 1)), "x"), ((0, (8, 2)), "P"), ((0, (3, 3, 1, 3, 1, 3)), "*")]
COLOURS = ["#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#999999"]


def _lines(series: object, name: str, dims: int, n_points: int | None) -> dict[str, torch.Tensor]:
    """``series`` as label -> float64 tensor of ``dims`` dimensions, checked; else a named error.

    Every tensor's last axis must have ``n_points`` entries when that is given (the length of
    ``x``), and every value must be a real number: the chart would otherwise be drawn wrong or
    fail inside matplotlib.
    """
    shape = "[n_points]" if dims == 1 else "[n_seeds, n_points]"
    if not isinstance(series, Mapping) or not series:
        raise TypeError(f"{name} must be a non-empty dict of label -> {shape} values, got "
                        f"{series!r:.80}")
    out = {}
    for label, values in series.items():
        if isinstance(values, str) or not isinstance(values, (Sequence, torch.Tensor)) and not \
                hasattr(values, "__array__"):
            raise TypeError(f"{name}[{label!r}] must be numbers, {shape}, got {values!r:.80}")
        try:
            ys = torch.as_tensor(values, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(f"{name}[{label!r}] must be real numbers, {shape}: {err}") from None
        if ys.dim() != dims or ys.shape[-1] == 0 or n_points is not None and ys.shape[-1] != n_points:
            want = shape if n_points is None else f"{shape} with n_points = len(x) = {n_points}"
            raise ValueError(f"{name}[{label!r}] must have shape {want}, got {tuple(ys.shape)}")
        out[str(label)] = ys
    return out


def line_chart(series: Mapping[str, Sequence[float]], title: str, xlabel: str, ylabel: str,
               x: Sequence[float] | None = None, size: tuple[float, float] = (6.4, 4.0),
               **options) -> Figure:
    """One line per entry of ``series`` (label to y values), against ``x`` (default 1, 2, ...).

    ``options`` are the axis options of :func:`axis_options` (``xscale``, ``yscale``,
    ``xticks``, ``ylim``, ``ref``, ``legend_loc``).

    Example:
        >>> fig = line_chart({"train": [1.0, 0.5]}, "Loss", "epoch", "loss")
        >>> fig.axes[0].get_title()
        'Loss'
    """
    return _chart(series, 1, x, size, title, xlabel, ylabel, options)


def spread_chart(series: Mapping[str, torch.Tensor], title: str, xlabel: str, ylabel: str,
                 x: Sequence[float] | None = None, size: tuple[float, float] = (6.4, 4.0),
                 **options) -> Figure:
    """Mean over seeds as a line, min to max over seeds as a shaded band.

    Args:
        series: label to a ``[n_seeds, n_points]`` tensor.
        options: the axis options of :func:`axis_options`.

    Example:
        >>> fig = spread_chart({"p=0": torch.rand(3, 5)}, "Loss", "epoch", "loss")
        >>> len(fig.axes[0].lines)
        1
    """
    return _chart(series, 2, x, size, title, xlabel, ylabel, options)


def _chart(series: object, dims: int, x: Sequence[float] | None, size: tuple[float, float],
           title: str, xlabel: str, ylabel: str, options: dict) -> Figure:
    """:func:`line_chart` (``dims`` 1) or :func:`spread_chart` (``dims`` 2, seeds by points)."""
    series = _lines(series, "series", dims, None if x is None else len(x))
    fig, ax = plt.subplots(figsize=size, dpi=100)
    styles = zip(cycle(COLOURS[:len(series)]), cycle(STYLES))  # the first len(series) colours
    for (label, ys), (colour, (ls, marker)) in zip(series.items(), styles, strict=False):
        xs = list(x) if x is not None else list(range(1, ys.shape[-1] + 1))
        if dims == 2:  # the band from min to max over seeds, then their mean as the line
            ax.fill_between(xs, ys.min(0).values.tolist(), ys.max(0).values.tolist(),
                            color=colour, alpha=0.15, linewidth=0)
            label, ys = f"{label} (mean of {ys.shape[0]}; band: min to max)", ys.mean(0)
        ax.plot(xs, ys.tolist(), color=colour, linestyle=ls, marker=marker, markersize=4,
                markevery=max(1, len(xs) // 10), label=label)
    _finish(ax, title, xlabel, ylabel, legend=dims == 2 or len(series) > 1, **options)
    plt.close(fig)
    return fig


def image_grid(images: torch.Tensor, title: str, row_labels: Sequence[str] | None = None,
               col_labels: Sequence[str] | None = None, xlabel: str = "", ylabel: str = "",
               cmap: str = "gray", size: tuple[float, float] | None = None,
               vmin: float | None = None, vmax: float | None = None) -> Figure:
    """Show ``images`` (``[rows, cols, H, W]``) as a grid, with optional row and column labels.

    Args:
        vmin, vmax: one colour scale shared by every panel: values at or below ``vmin`` get the
            colour map's first colour (black for ``"gray"``), values at or above ``vmax`` its
            last (white). By default each panel stretches its own smallest to its own largest
            value, so panels whose values differ only by a factor look alike; pass both to
            compare sizes across panels.

    Example:
        >>> image_grid(torch.rand(2, 3, 8, 8), "Grid").axes[0].get_title()
        ''
        >>> image_grid(torch.rand(1, 2, 8, 8), "Shared", vmin=0, vmax=2).axes[1].images[0].get_clim()
        (0.0, 2.0)
    """
    _check_grid(images, row_labels, col_labels, vmin, vmax)
    rows, cols = images.shape[:2]
    fig, axes = plt.subplots(rows, cols, figsize=size or (1.3 * cols + 1, 1.3 * rows + 0.8),
                             dpi=100, squeeze=False)
    for (r, c), ax in np.ndenumerate(axes):
        ax.imshow(images[r, c].detach().cpu().float().numpy(), cmap=cmap, interpolation="nearest",
                  vmin=vmin, vmax=vmax)
        ax.set(xticks=[], yticks=[])
        if row_labels is not None and c == 0:
            ax.set_ylabel(row_labels[r], fontsize=9)
        if col_labels is not None and r == 0:
            ax.set_title(col_labels[c], fontsize=9)
    fig.suptitle(title)
    if xlabel:
        fig.supxlabel(xlabel, fontsize=10)
    if ylabel:
        fig.supylabel(ylabel, fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig


def _check_grid(images: object, row_labels: Sequence[str] | None,
                col_labels: Sequence[str] | None, vmin: float | None, vmax: float | None) -> None:
    """What :func:`image_grid` needs: ``[rows, cols, H, W]`` images, one label per panel."""
    if vmin is not None and vmax is not None and not vmin < vmax:
        raise ValueError(f"vmin must be below vmax, got vmin={vmin!r} and vmax={vmax!r}")
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or 0 in images.shape:
        got = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must be a tensor [rows, cols, H, W] (one image per panel), got "
                         f"{got}; a single row of images x is x[None]")
    rows, cols = images.shape[:2]
    for labels, name, n in ((row_labels, "row_labels", rows), (col_labels, "col_labels", cols)):
        if labels is not None and len(names(labels, name, "one label per panel")) != n:
            raise ValueError(f"{name} must have {n} labels, one per panel, got {len(labels)}")


def bar_chart(values: Mapping[str, float], title: str, xlabel: str, ylabel: str = "",
              target: float | None = None, target_label: str = "target",
              size: tuple[float, float] | None = None, fmt: str = "{:.1f}") -> Figure:
    """Horizontal bars, one per entry of ``values`` (label to a number), top to bottom in order.

    Each bar carries its value as text (formatted with ``fmt``), so the chart reads without
    a ruler; ``target`` draws a dashed vertical line, labelled ``target_label``, to compare
    the bars against.

    Example:
        >>> fig = bar_chart({"chapter 1": 22.0, "chapter 2": 30.5}, "Time", "seconds", target=45)
        >>> [t.get_text() for t in fig.axes[0].texts]
        ['22.0', '30.5']
    """
    if not values:
        raise ValueError("values must name at least one bar, got an empty mapping")
    labels, numbers = list(values), [_finite(v, f"values[{k!r}]") for k, v in values.items()]
    fig, ax = plt.subplots(figsize=size or (6.4, 0.5 * len(labels) + 1.6), dpi=100)
    ys = list(range(len(labels)))[::-1]
    ax.barh(ys, numbers, color=COLOURS[1], height=0.6)
    ax.set_yticks(ys, labels)
    top = max(numbers + ([target] if target is not None else []))
    for y, v in zip(ys, numbers, strict=True):
        ax.text(v + 0.01 * top, y, fmt.format(v), va="center", fontsize=9)
    if target is not None:
        ax.axvline(target, color=COLOURS[2], linestyle="--", linewidth=1.5, label=target_label)
    ax.set_xlim(0, 1.15 * top)
    _finish(ax, title, xlabel, ylabel, legend=target is not None)
    ax.grid(False, axis="y")
    ax.set_axisbelow(True)  # grid lines behind the bars
    plt.close(fig)
    return fig


def axis_options(ax, xscale: str | None = None, yscale: str | None = None,
                 xticks: Sequence[float] | None = None, xticklabels: Sequence[str] | None = None,
                 ylim: tuple[float, float] | None = None, ref: tuple[float, str] | None = None) -> None:
    """The charts' shared options, so that no chapter has to reach into ``fig.axes``.

    Args:
        xscale, yscale: ``"log"`` (or any matplotlib scale); default: leave the axis linear.
        xticks: put a tick at each of these x values, labelled with the value as written...
        xticklabels: ...or with these labels (for categories drawn at positions 0, 1, 2, ...).
        ylim: ``(bottom, top)`` of the y axis.
        ref: ``(y, label)``: a grey dashed horizontal reference line, named in the legend.

    Example:
        >>> fig = line_chart({"a": [1.0, 2.0]}, "T", "x", "y", xticks=[1, 2], ref=(1.5, "target"))
        >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
        ['1', '2']
    """
    if xticks is not None and xticklabels is not None and len(xticklabels) != len(xticks):
        raise ValueError(f"xticklabels must have one label per tick, {len(xticks)}, got "
                         f"{len(xticklabels)}")
    if ylim is not None and (len(ylim) != 2 or not _finite(ylim[0], "ylim[0]") < _finite(
            ylim[1], "ylim[1]")):
        raise ValueError(f"ylim must be (bottom, top) with bottom < top, got {ylim!r}")
    if xscale is not None:  # set only when asked: setting a scale resets the axis' ticks
        ax.set_xscale(xscale)
    if yscale is not None:
        ax.set_yscale(yscale)
    if xticks is not None:
        ax.set_xticks(list(xticks), [str(t) for t in (xticklabels or xticks)])
    if ylim is not None:
        ax.set_ylim(*ylim)
    if ref is not None:
        ax.axhline(ref[0], color="#777777", linestyle="--", linewidth=1, label=ref[1])


def _finite(value: object, name: str) -> float:
    """``value`` (a number, or a one-element tensor) as a float if finite, else a named error."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    return finite_number(value, name, "a value to draw")


def _finish(ax, title: str, xlabel: str, ylabel: str, legend: bool, legend_loc: str = "best",
            **options) -> None:
    axis_options(ax, **options)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(True, color="#dddddd", linewidth=0.6)
    if legend or options.get("ref") is not None:
        ax.legend(fontsize=8, frameon=False, loc=legend_loc)
    ax.figure.tight_layout()
