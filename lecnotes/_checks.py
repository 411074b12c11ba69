"""Argument checks shared by every module, so that one kind of mistake gets one kind of message.

Python's and numpy's numbers are accepted alike (``numbers.Integral`` and ``numbers.Real``:
``np.int64(64)`` is an integer, ``np.float32(0.5)`` a number); ``True`` and ``False`` never are,
although Python counts them as integers. Each check returns the value as a plain ``int`` or
``float``, so what follows computes exactly as with a Python number.

Every check takes the same arguments: ``value``, what the caller was given; ``name``, the
argument's name as the caller knows it (``"bs"``, ``"xtra_fc[1]"``); and for some ``meaning``,
what the number stands for, shown in brackets. It returns the value converted, or raises a
``ValueError`` whose message names the argument, says what was given and what is allowed. Two
of these messages are printed by chapter 5 (``xtra_fc[1] must be a positive integer (a layer
size), got 0`` and ``ps must be a number with 0 <= p < 1 (the share of activations dropped),
got 1.0``), so their wording must stay as it is.

Predicates (``is_int``, ``is_number``) serve checks whose message is not
about an argument, and :func:`labels_outside` and :func:`listed` word a task's wrong labels.
"""

from __future__ import annotations

import math
import os
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import torch

SEED_MIN, SEED_MAX = 0, 2**63 - 1
"""The seeds the package takes: each gives its own stream in torch and in Python's ``random``.

``torch.manual_seed`` also takes negative seeds and seeds up to ``2**64 - 1``, but it maps ``-1``
to ``2**64 - 1`` (the same stream twice), and Python's ``random.seed`` maps ``-5`` to ``5``."""


def is_int(value: object) -> bool:
    """True for Python and numpy integers, False for bools (Python's and numpy's).

    Example:
        >>> is_int(3), is_int(np.int64(3)), is_int(True), is_int(3.0)
        (True, True, False, False)
    """
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def is_number(value: object) -> bool:
    """True for Python and numpy real numbers (integers included), False for bools.

    Example:
        >>> is_number(0.5), is_number(np.float32(0.5)), is_number(False), is_number("0.5")
        (True, True, False, False)
    """
    return isinstance(value, Real) and not isinstance(value, (bool, np.bool_))


def _finite_float(value: object) -> float | None:
    """``value`` as a finite ``float``, or None if it is not a number or not finite (or too large)."""
    if not is_number(value):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:  # an integer beyond float's range
        return None
    return number if math.isfinite(number) else None


def _must_be(name: str, allowed: str, value: object, then: str = "") -> ValueError:
    """The error every check raises: ``<name> must be <allowed>, got <value>``."""
    return ValueError(f"{name} must be {allowed}, got {value!r}{then}")


def _int_from(value: object, name: str, allowed: str, low: int,
              high: float = math.inf) -> int:
    """``value`` as an ``int`` if it is an integer from ``low`` to ``high``."""
    if is_int(value) and low <= value <= high:  # type: ignore[operator]
        return int(value)  # type: ignore[arg-type]
    raise _must_be(name, allowed, value)


def _number_where(value: object, name: str, allowed: str, holds,
                  then: str = "") -> float:
    """``value`` as a finite ``float`` if ``holds(value)``, else the error naming it."""
    number = _finite_float(value)
    if number is None or not holds(number):
        raise _must_be(name, allowed, value, then)
    return number


def positive_int(value: object, name: str, meaning: str | None = None,
                 none_means: str | None = None) -> int | None:
    """``value`` as an ``int`` if it is an integer of at least 1, else a ValueError naming ``name``.

    Args:
        value, name, meaning: as for every check (see the module's docstring).
        none_means: when given, ``None`` is allowed too (and returned) and this says what it
            stands for.

    Returns:
        ``int(value)``, or None when ``None`` is allowed and given.

    Example:
        >>> positive_int(np.int64(64), "bs")
        64
        >>> positive_int(0, "xtra_fc[1]", "a layer size")
        Traceback (most recent call last):
        ...
        ValueError: xtra_fc[1] must be a positive integer (a layer size), got 0
    """
    if value is None and none_means is not None:
        return None
    allowed = "a positive integer"
    allowed += f" or None ({none_means})" if none_means is not None else ""
    return _int_from(value, name, allowed + (f" ({meaning})" if meaning else ""), 1)


def int_at_least(value: object, name: str, minimum: int, meaning: str) -> int:
    """``value`` as an ``int`` if it is an integer of at least ``minimum``, else a ValueError naming ``name``.

    Example:
        >>> int_at_least(0, "size", 8, "the photos' side in pixels")
        Traceback (most recent call last):
        ...
        ValueError: size must be an integer >= 8 (the photos' side in pixels), got 0
    """
    return _int_from(value, name, f"an integer >= {minimum} ({meaning})", minimum)


def batch_size(value: object, name: str = "bs") -> int:
    """``value`` as an ``int`` if it is a mini-batch size a head with BatchNorm can train on: 2 or more.

    A head's ``BatchNorm1d`` computes statistics over the mini-batch while training, which needs
    two images at least; a ``bs`` of 1 gets a message saying so.

    Example:
        >>> batch_size(np.int64(64))
        64
        >>> batch_size(1)
        Traceback (most recent call last):
        ...
        ValueError: bs is 1, but the head's BatchNorm1d layers need at least 2 images per mini-batch ...
    """
    bs: int = positive_int(value, name, "the mini-batch size")  # type: ignore[assignment]
    if bs < 2:
        raise ValueError(f"{name} is {bs}, but the head's BatchNorm1d layers need at least 2 images per "
                         "mini-batch to compute batch statistics while training: use "
                         f"{name}=2 or more (the default is 64)")
    return bs


def share(value: object, name: str, meaning: str, zero: bool = True) -> float:
    """``value`` as a ``float`` if it is a number with ``0 <= p < 1`` (``0 < p < 1`` when not ``zero``).

    Args:
        value, name, meaning: as for every check (see the module's docstring).
        zero: whether 0 itself is allowed.

    Example:
        >>> share(0, "valid_share", "the share of each class held out for validation", zero=False)
        Traceback (most recent call last):
        ...
        ValueError: valid_share must be a number with 0 < p < 1 (the share of each class held out ...), got 0
    """
    allowed = f"a number with 0 {'<=' if zero else '<'} p < 1 ({meaning})"
    return _number_where(value, name, allowed,
                         lambda p: (0 <= p if zero else 0 < p) and p < 1)


def probability(value: object, name: str) -> float:
    """``value`` as a ``float`` if it is a number with ``0 <= p < 1``, else a ValueError naming ``name``.

    Example:
        >>> probability(np.float32(0.5), "p")
        0.5
        >>> probability(1.0, "ps")
        Traceback (most recent call last):
        ...
        ValueError: ps must be a number with 0 <= p < 1 (the share of activations dropped), got 1.0
    """
    return share(value, name, "the share of activations dropped")


def finite_number(value: object, name: str, meaning: str) -> float:
    """``value`` as a float if it is a finite real number (Python's or numpy's), else a named error.

    Example:
        >>> finite_number(np.float32(0.5), "ylim[0]", "the bottom of the y axis")
        0.5
    """
    number = _finite_float(value)
    if number is None:
        kind = TypeError if not is_number(value) else ValueError
        raise kind(f"{name} must be a finite number ({meaning}), got {value!r}")
    return number


def positive_number(value: object, name: str, meaning: str) -> float:
    """``value`` as a ``float`` if it is a finite number above 0, else a ValueError naming ``name``.

    Example:
        >>> positive_number(np.float32(0.5), "lr", "the learning rate")
        0.5
    """
    return _number_where(value, name, f"a positive number ({meaning})", lambda x: x > 0)


def non_negative_number(value: object, name: str, meaning: str) -> float:
    """``value`` as a ``float`` if it is a finite number of at least 0, else a ValueError naming ``name``.

    Example:
        >>> non_negative_number(0, "wd", "the weight decay")
        0.0
    """
    return _number_where(value, name, f"a finite number >= 0 ({meaning})",
                         lambda x: x >= 0, "; 0 turns it off")


def seed(value: object, name: str = "seed") -> int:
    """``value`` as an ``int`` if it is an integer torch can seed with, else a ValueError naming ``name``.

    Example:
        >>> seed(np.int32(7))
        7
        >>> seed(1.5)
        Traceback (most recent call last):
        ...
        ValueError: seed must be an integer from 0 to 2**63 - 1 (for example seed=0), got 1.5
    """
    allowed = f"an integer from 0 to 2**63 - 1 (for example {name}=0)"
    return _int_from(value, name, allowed, SEED_MIN, SEED_MAX)


def flag(value: object, name: str, meaning: str) -> bool:
    """``value`` as a ``bool`` if it is ``True`` or ``False`` (numpy's too), else a ValueError naming it.

    Example:
        >>> flag(np.bool_(True), "precompute", "cache the body's activations")
        True
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise _must_be(name, f"True or False ({meaning})", value)


def a_list(value: object, name: str, meaning: str) -> list:
    """``value`` as a ``list`` if it is a list or a tuple, else a TypeError naming ``name``.

    A string, a tensor, an array or a set is refused, not read item by item: ``"ab"`` would be
    two one-letter items, and a tensor's items are tensors.

    Example:
        >>> a_list(("a", "b"), "classes", "the class names")
        ['a', 'b']
        >>> a_list("ab", "classes", "the class names")
        Traceback (most recent call last):
        ...
        TypeError: classes must be a list or tuple (the class names), got the str 'ab'; ...
    """
    if isinstance(value, (list, tuple)):
        return list(value)
    fix = "wrap one item in a list" if isinstance(value, str) else "convert it with list(...)"
    fix = "convert it with .tolist()" if hasattr(value, "tolist") else fix
    raise TypeError(f"{name} must be a list or tuple ({meaning}), got the "
                    f"{type(value).__name__} {value!r}; {fix}")


def names(value: object, name: str, meaning: str) -> tuple[str, ...]:
    """``value`` as a tuple of strings if it is a list or tuple of strings, else a TypeError.

    Example:
        >>> names(["cats", "dogs"], "classes", "the class names")
        ('cats', 'dogs')
    """
    items = a_list(value, name, meaning)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise TypeError(f"{name}[{i}] must be a string ({meaning}), got {item!r}")
    return tuple(items)


def folder(value: object, name: str) -> Path:
    """``value`` as a ``Path`` with ``~`` expanded, if it is a string or path, else a TypeError.

    Example:
        >>> folder("~/x", "cache_dir") == Path.home() / "x"
        True
    """
    if isinstance(value, (str, os.PathLike)) and not isinstance(value, bytes) and str(value):
        return Path(value).expanduser()
    raise TypeError(f"{name} must be a folder's path, a non-empty str or pathlib.Path, "
                    f"got {value!r}")


OFF = ("0", "false", "no", "off")
ON = ("1", "true", "yes", "on")
"""The words an environment variable may use for off and on (any case)."""


def env_switch(variable: str, off: str, on: str, auto: str | None = None) -> bool | None:
    """The environment variable ``variable`` read as a switch, or a ValueError naming it.

    ``0``, ``false``, ``no`` and ``off`` give False; ``1``, ``true``, ``yes`` and ``on`` True
    (any case, spaces around ignored); unset or empty (and ``auto``, when ``auto`` says what
    it means) give None, for the caller's default.

    Args:
        variable: the variable's name, e.g. ``"LECNOTES_DOWNLOAD"``.
        off, on, auto: what 0, 1 and ``auto`` mean, for the message.

    Example:
        >>> os.environ["LECNOTES_EXAMPLE"] = "maybe"
        >>> env_switch("LECNOTES_EXAMPLE", "never", "always")
        Traceback (most recent call last):
        ...
        ValueError: LECNOTES_EXAMPLE is 'maybe'; allowed: 0 (never) or 1 (always). Set it to ...
        >>> del os.environ["LECNOTES_EXAMPLE"]
    """
    raw = os.environ.get(variable, "")
    value = raw.strip().lower()
    if value in OFF:
        return False
    if value in ON:
        return True
    if value == "" or (auto is not None and value == "auto"):
        return None
    allowed = f"0 ({off}) or 1 ({on})" if auto is None else f"0 ({off}), 1 ({on}) or auto ({auto})"
    raise ValueError(f"{variable} is {raw!r}; allowed: {allowed}. Set it to one of these or unset it.")


def labels_outside(labels: torch.Tensor, n: int) -> list[int]:
    """The distinct values of ``labels`` that are not in ``0..n-1``, in order (for the message).

    Example:
        >>> labels_outside(torch.tensor([0, 5, -1, 5, 2]), 3)
        [-1, 5]
    """
    labels = labels.long()
    return sorted(labels[(labels < 0) | (labels >= n)].unique().tolist())


def listed(values: list[int], most: int = 10) -> str:
    """``values`` for a message: the first ``most`` of them, then how many more there are.

    Example:
        >>> listed(list(range(12)))
        '0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 2 more'
    """
    shown = ", ".join(str(v) for v in values[:most])
    return shown + (f" and {len(values) - most} more" if len(values) > most else "")
