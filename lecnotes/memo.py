"""Finished sweeps kept on disk: running a chapter again does not train its heads again.

A sweep is a deterministic function of what it is given, so its curves and trained heads
can be stored once and read back. A file is only trusted while everything that decides
its numbers is unchanged, so it is named by a sha256 (:func:`sweep_key`) over all of it:

* the code: the bytes of every source file of ``lecnotes``;
* what can change the last bits: torch's and Python's versions, the CPU's name and vector
  capability, torch's thread count and default dtype, and whether deterministic
  algorithms are on;
* the arguments: the grid, the epochs, the head's sizes, ``lr``, ``bs``, ``wd``,
  ``eval_train``;
* the data: the training and validation activations, their labels and the class count.

The folder is ``$LECNOTES_SWEEP_CACHE``, else ``~/.cache/lecnotes/sweeps``;
``LECNOTES_SWEEP_CACHE=off`` trains every sweep afresh. The folder keeps the most recently
used files up to :data:`KEEP_BYTES`. A file that is truncated, damaged or for another key
is trained again, never trusted; a folder that cannot be written to gives one warning,
and the sweep is trained as usual.
"""

from __future__ import annotations

import functools
import os
import platform
import sys
import warnings
from contextlib import suppress
from itertools import chain
from pathlib import Path

import torch

from ._checks import OFF
from .folders import user_cache_dir
from .precompute import _digest, _parts, _warn, _write

FORMAT = 1  # bump when the file layout or the key changes
KEEP_BYTES = 2 * 2**30
"""The folder's size limit: about two versions of the book's sweeps (the largest is 0.25 GB)."""

_warned: set[str] = set()


def folder() -> Path | None:
    """Where sweeps are kept: ``$LECNOTES_SWEEP_CACHE`` or the user's cache; None when off.

    ``off`` is any of the words :func:`lecnotes._checks.env_switch` reads as off.

    Example:
        >>> saved = os.environ.pop("LECNOTES_SWEEP_CACHE", None)
        >>> folder() == user_cache_dir("sweeps")
        True
        >>> os.environ["LECNOTES_SWEEP_CACHE"] = "off"
        >>> folder() is None
        True
        >>> os.environ.update({"LECNOTES_SWEEP_CACHE": saved} if saved else {})
        >>> _ = None if saved else os.environ.pop("LECNOTES_SWEEP_CACHE")
    """
    raw = os.environ.get("LECNOTES_SWEEP_CACHE", "").strip()
    if raw.lower() in OFF:
        return None
    return Path(raw).expanduser() if raw else user_cache_dir("sweeps")


@functools.cache
def _code() -> str:
    """A digest of every source file of the package, as installed."""
    files = sorted(Path(__file__).parent.glob("*.py"))
    return _digest(chain.from_iterable((f.name, f.read_bytes()) for f in files))


def cpu_name() -> str:
    """The CPU's model name (Linux), else what the platform reports."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def sweep_key(**arguments: object) -> str:
    """A sha256 over the code, the machine's arithmetic and ``arguments`` (plain values and tensors).

    Example:
        >>> k = sweep_key(epochs=2, train=torch.zeros(3))
        >>> k == sweep_key(epochs=2, train=torch.zeros(3)), k == sweep_key(epochs=3, train=torch.zeros(3))
        (True, False)
    """
    machine = (FORMAT, _code(), str(torch.__version__), sys.version, cpu_name(),
               torch.backends.cpu.get_cpu_capability(), torch.get_num_threads(),
               str(torch.get_default_dtype()), torch.are_deterministic_algorithms_enabled())
    return _digest(chain(_parts(machine, "the machine"), _parts(arguments, "the sweep")))


def load(key: str) -> dict | None:
    """The stored payload for ``key``, or None (off, missing, damaged or another key's)."""
    where = folder()
    if where is None:
        return None
    path = where / f"{key}.pt"
    try:
        with warnings.catch_warnings():  # torch's loader may warn on a damaged file
            warnings.simplefilter("ignore")
            saved = torch.load(path, map_location="cpu", weights_only=True)
        ok = saved["key"] == key and saved["check"] == _digest(_parts(saved["payload"], "file"))
        os.utime(path)  # recently used: pruned last
    except Exception:  # missing, unreadable, truncated, garbled or foreign: train again
        return None
    return saved["payload"] if ok else None


def save(key: str, payload: dict) -> None:
    """Store ``payload`` (tensors in dicts) under ``key``, then prune the folder to :data:`KEEP_BYTES`."""
    where = folder()
    if where is None:
        return
    try:
        check = _digest(_parts(payload, "payload"))
        _write(where / f"{key}.pt", {"key": key, "payload": payload, "check": check})
    except OSError as exc:
        _warn(f"The sweep cache folder {where} cannot be used ({type(exc).__name__}: "
              f"{exc.strerror or exc}), so this sweep is not kept; the next run trains it "
              "again. Point $LECNOTES_SWEEP_CACHE at a folder you can write to, or set it to "
              "off.", _warned)
        return
    _prune(where)


def _prune(where: Path) -> None:
    """Delete the least recently used files until the folder holds :data:`KEEP_BYTES` or less.

    Kernels side by side may prune the same folder: a file gone meanwhile is skipped.
    """
    seen = {}
    for f in where.glob("*.pt"):
        with suppress(OSError):
            seen[f] = f.stat()
    total = 0
    for f, stat in sorted(seen.items(), key=lambda item: item[1].st_mtime, reverse=True):
        total += stat.st_size
        if total > KEEP_BYTES:
            with suppress(OSError):
                f.unlink()
