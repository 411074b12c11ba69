"""Glue: hand a value computed in a notebook cell to the prose around it.

The site is built by Jupyter Book, whose myst-nb reads *glued* values out of the stored cell
outputs and pastes them where the prose says ``{glue:text}`name``` or ``{glue:figure} name``.
A student running a chapter on Colab, Binder or a bare laptop has no myst-nb, so the book does
not import it: this module writes the same output record with IPython alone.

The record is one ``display_data`` output whose MIME keys carry a prefix,
``application/papermill.record/text/plain`` for example, and whose metadata says
``{"scrapbook": {"name": ..., "mime_prefix": ...}}``. Jupyter front ends do not know the
prefixed types, so they draw nothing; myst-nb strips the prefix and keeps the value.

Figures are the exception, because a student who runs a figure cell should see the figure.
They are glued with an empty prefix: the output is an ordinary image that JupyterLab, Colab
and VS Code draw, and that myst-nb still reads as a glued value. On the site, the figure cell
carries the ``remove-output`` tag, so the figure appears once, where ``{glue:figure}`` puts it,
with its caption.
"""

from __future__ import annotations

from typing import Any

from ._checks import is_number

PREFIX = "application/papermill.record/"
"""The MIME-type prefix of a hidden glue record (myst-nb's and papermill's convention)."""


def is_figure(value: Any) -> bool:
    """True for a matplotlib ``Figure`` (the only values :func:`glue` shows as well)."""
    return type(value).__name__ == "Figure" and hasattr(value, "savefig")


def glue(name: str, value: Any, fmt: str | None = None) -> None:
    """Record ``value`` under ``name`` for the book's prose; show it too if it is a figure.

    Args:
        name: the key the prose uses, e.g. ``"ch1_final_acc"``; a non-empty string.
        value: anything IPython can display: a number, a string, a matplotlib figure.
        fmt: a format spec for a number (``".3f"``, ``".1%"``, ``"+.2f"``, ``","``, ``"d"``).
            The value is stored as the text it gives, so the prose shows exactly that text
            with ``{glue:text}`name``` and the precision is written once, here. The stored
            text is also all that strict nbval compares, so a value that differs in its last
            digits on another CPU still stores the same text.

    Outside IPython (a plain ``python`` script) there is nowhere to record to, and the call
    raises ``RuntimeError``. A value that cannot be displayed (its ``repr`` raises) is a
    ``ValueError`` naming ``name``: nothing is recorded.

    Example:
        >>> glue("", 1.0)
        Traceback (most recent call last):
        ...
        ValueError: glue name must be a non-empty string, got ''
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"glue name must be a non-empty string, got {name!r}")
    if fmt is not None:
        value = formatted(value, fmt, name)
    from IPython import get_ipython
    from IPython.display import display

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("glue() records values in a notebook's outputs; run it in Jupyter")
    bundle, metadata = _formatted_by_ipython(shell, name, value)
    prefix = "" if is_figure(value) else PREFIX
    metadata = {**metadata, "scrapbook": {"name": name, "mime_prefix": prefix}}
    display({prefix + key: data for key, data in bundle.items()}, raw=True, metadata=metadata)


def _formatted_by_ipython(shell: Any, name: str, value: Any) -> tuple[dict, dict]:
    """IPython's display bundle and metadata of ``value``, or a ValueError naming ``name``."""
    try:
        repr(value)
    except Exception as exc:
        raise ValueError(f"glue cannot record {name!r}: repr() of the value (a "
                         f"{type(value).__qualname__}) raised {type(exc).__name__}: {exc}. Glue a "
                         "number, a string or a figure") from exc
    bundle, metadata = shell.display_formatter.format(value)
    if not bundle:
        raise ValueError(f"glue cannot record {name!r}: IPython could not display the value (a "
                         f"{type(value).__qualname__}; see the error above). Glue a number, a "
                         "string or a figure")
    return bundle, metadata


def formatted(value: Any, fmt: str, name: str = "value") -> str:
    """``value`` (a real number, numpy's or a one-element tensor's too) as text, by ``fmt``.

    Example:
        >>> formatted(0.84567, ".1%"), formatted(0.04, ".3f"), formatted(12345, ",")
        ('84.6%', '0.040', '12,345')
    """
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()  # a numpy scalar or a 0-d tensor
    if not is_number(value):
        raise TypeError(f"glue {name!r}: fmt {fmt!r} formats a number, got {value!r}")
    if not isinstance(fmt, str) or not fmt:
        raise ValueError(f"glue {name!r}: fmt must be a format spec such as '.3f', got {fmt!r}")
    try:
        text = format(value if fmt[-1] not in "bcdoxX" else int(value), fmt)
    except ValueError as err:
        raise ValueError(f"glue {name!r}: fmt {fmt!r} is not a format spec for a number: "
                         f"{err}") from None
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = ("+" if "+" in fmt else "") + text[1:]  # a value that rounds to 0 has no sign
    return text
