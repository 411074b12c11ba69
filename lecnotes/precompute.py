"""Precomputed activations: run the frozen body once, keep what it outputs.

With ``precompute=True`` the body never changes, so its output for a given image never
changes either; computing it once and training the head on the stored numbers gives the
same head, many times faster. Stored numbers are only trusted while everything that
decides them is unchanged, so they are filed under a key made from all of it.

The key (:func:`cache_key`) is a sha256 over what the book's own types expose:

* tensors: their dtype, shape and bytes (the images, every parameter and buffer);
* ``nn.Module``\\ s and dataclass instances: their class and their attributes, read
  recursively (a module's parameters, buffers, submodules, hooks and plain settings such
  as ``eps``; a dataclass's fields, as in :class:`lecnotes.data.Normalize`);
* classes: their qualified name and, outside torch and Python's standard library (fixed
  for a given install, whose versions are in the key), the code of their methods, so a
  class edited and defined again (a notebook cell run again) gets a new key;
* plain values (numbers, strings, ``None``), tuples, lists, dicts and sets of these;
* torch's and Python's versions and the device type (``cpu``, ``cuda``...), which can
  change the last bits.

Anything else (a lambda, a function, an object of another kind, a forward hook) is not
read: the activations are then computed **without the cache**, in memory, and one
``UserWarning`` names the object (:class:`CacheKeyError`). A transform must compute from
its fields and its class's code alone: a setting it reads from a module's globals is not
part of the key. An unusable cache folder (not a folder, not writable, a full disk) is
handled the same way: computed in memory, one warning naming the folder.

Files are written atomically (a temporary file, then a rename) and checked on reading: a
file that is truncated, damaged or for another key is recomputed, never trusted, without
warnings from torch's loader.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import types
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields, is_dataclass
from itertools import chain
from pathlib import Path

import torch
from torch import nn
from torch.nn.modules import module as torch_module

from . import _checks
from ._checks import positive_int
from .folders import user_cache_dir

FORMAT = 3  # bump when the file layout or the key changes

_PLAIN = (type(None), bool, int, float, complex, str, bytes, type(...), torch.dtype,
          torch.device)
_FIXED = sys.stdlib_module_names | {"torch"}
"""Packages whose classes are read by name alone: the versions keyed fix their code."""
_BUILDERS = ("__new__", "__init__", "__post_init__")
"""Methods not read: they only build an object's state, which is read instead."""

Part = str | bytes


class CacheKeyError(TypeError):
    """Part of the model or the transform is of a kind the key does not read (named)."""


def default_cache_dir() -> Path:
    """``$LECNOTES_CACHE``, else ``$XDG_CACHE_HOME/lecnotes/activations``.

    Example:
        >>> from_env = os.environ.get("LECNOTES_CACHE")
        >>> default_cache_dir() == Path(from_env or user_cache_dir("activations"))
        True
    """
    from_env = os.environ.get("LECNOTES_CACHE")
    return Path(from_env).expanduser() if from_env else user_cache_dir("activations")


def _tensor_bytes(t: torch.Tensor) -> bytes:
    return t.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def _sha256(t: torch.Tensor) -> str:
    return hashlib.sha256(_tensor_bytes(t)).hexdigest()


def _digest(parts: Iterable[Part]) -> str:
    """sha256 over length-prefixed parts, so no two sequences of parts run together."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(b"%d:" % len(data))
        h.update(data)
    return h.hexdigest()


def _parts(obj: object, where: str) -> Iterator[Part]:
    """What the key reads from ``obj``, kind first: equal content gives equal parts.

    Raises:
        CacheKeyError: ``obj``, or something in it, is of a kind not read (``where``).
    """
    if type(obj) in _PLAIN:
        yield f"{type(obj).__name__}:{obj!r}"
    elif isinstance(obj, torch.Tensor):
        if obj.layout != torch.strided or obj.device.type == "meta" or obj.is_quantized:
            raise CacheKeyError(f"{where} is a {obj.layout} tensor on {obj.device}")
        yield f"tensor:{obj.dtype}:{tuple(obj.shape)}"
        yield _tensor_bytes(obj.resolve_conj().resolve_neg())
    elif isinstance(obj, (tuple, list, dict)):
        yield f"{type(obj).__name__}:{len(obj)}"
        for k, v in obj.items() if isinstance(obj, dict) else enumerate(obj):
            yield from _parts(k, f"a key of {where}")
            yield from _parts(v, f"{where}[{k!r}]")
    elif isinstance(obj, (set, frozenset)):  # in no fixed order: item digests, sorted
        yield f"set:{len(obj)}"
        yield from sorted(_digest(_parts(item, f"an item of {where}")) for item in obj)
    elif isinstance(obj, type):
        yield from _class(obj, where)
    elif isinstance(obj, nn.Module) or is_dataclass(obj):
        yield from _class(type(obj), where)
        state = vars(obj) if hasattr(obj, "__dict__") else {
            f.name: getattr(obj, f.name) for f in fields(obj)}  # type: ignore[arg-type]
        for name, value in sorted(state.items()):
            if name != "training":  # compute_activations runs every module in eval mode
                yield name
                yield from _parts(value, f"{where}.{name}")
    else:
        kind = f"{type(obj).__module__}.{type(obj).__name__}".removeprefix("builtins.")
        name = getattr(obj, "__qualname__", None)
        raise CacheKeyError(f"{where} is a {kind}{f' ({name})' if name else ''}, "
                            "which the key does not read")


def _class(cls: type, where: str) -> Iterator[Part]:
    """A class by its qualified name and, outside :data:`_FIXED`, by its own attributes:
    each method's code (a property's getter, a static or class method's function), and
    every other attribute but Python's dunder bookkeeping as a value."""
    yield f"class:{cls.__module__}.{cls.__qualname__}"
    for base in [b for b in cls.__mro__ if b.__module__.split(".")[0] not in _FIXED]:
        for name, attr in vars(base).items():
            fn = getattr(attr, "__func__", attr)  # a static or class method's function
            fn = attr.fget if isinstance(attr, property) else fn
            if isinstance(fn, types.FunctionType) and name not in _BUILDERS:
                yield name
                yield from _function(fn, f"{base.__qualname__}.{name}")
            elif not name.startswith("__"):
                yield name
                yield from _parts(attr, f"{base.__qualname__}.{name}")


def _function(fn: types.FunctionType, where: str) -> Iterator[Part]:
    """A method: its code, its defaults and what its closure holds.

    A function there (one a decorator wraps) is read the same way, a class by name
    alone: it is mostly the class being read (``super()``'s ``__class__``, a
    dataclass's ``cls``).
    """
    yield from _code(fn.__code__, where)
    yield from _parts((fn.__defaults__, fn.__kwdefaults__), f"{where}'s defaults")
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=True):
        value, at = cell.cell_contents, f"{where}'s closure variable {name!r}"
        if isinstance(value, type):
            yield f"class:{value.__module__}.{value.__qualname__}"
        else:
            is_fn = isinstance(value, types.FunctionType)
            yield from _function(value, at) if is_fn else _parts(value, at)


def _code(code: types.CodeType, where: str) -> Iterator[Part]:
    """What a code object runs: instructions, names and constants (nested code too), not
    its file or line numbers, so moving a method does not change the key."""
    yield f"code:{code.co_argcount}:{code.co_kwonlyargcount}:{code.co_flags}"
    yield code.co_code
    yield repr((code.co_names, code.co_varnames, code.co_cellvars, code.co_freevars))
    for const in code.co_consts:
        is_code = isinstance(const, types.CodeType)
        yield from _code(const, where) if is_code else _parts(const, f"{where}'s code")


def cache_key(model: nn.Module, images: torch.Tensor, transform: Callable,
              device: torch.device | str | None = None) -> str:
    """A sha256 (64 hex digits) over the model, images, transform, versions and device.

    What goes in is listed in the module's docstring, read by content (never by ``repr``
    or memory address), so the same content gives the same key in any session and any
    change gives another.

    Args:
        model: the body and the pooling, as passed to :func:`cached_activations`.
        images: the raw images.
        transform: applied to each batch before the model: a dataclass or a module.
        device: where the model runs (only its type counts); default the CPU.

    Raises:
        CacheKeyError: something in them is of a kind the key does not read (a lambda, a
            forward hook, a lock...); the message names where it sits.

    Example:
        >>> from lecnotes.data import Normalize
        >>> m = nn.Linear(2, 2)
        >>> k1 = cache_key(m, torch.zeros(3, 2), Normalize())
        >>> with torch.no_grad(): _ = m.weight.add_(1)
        >>> k1 == cache_key(m, torch.zeros(3, 2), Normalize())
        False
    """
    # torch keeps the hooks of register_module_forward_(pre_)hook here; none is the rule
    hooks = [getattr(torch_module, f"_global_forward{when}_hooks", {})
             for when in ("_pre", "")]
    kind = torch.device(device or "cpu").type  # "cpu", "cuda"...
    setup = FORMAT, str(torch.__version__), sys.version, kind
    try:
        return _digest(chain(_parts(setup, "the versions"),
                             _parts(hooks, "torch's global forward hooks"),
                             _parts(model, "the model"), _parts(images, "the images"),
                             _parts(transform, "the transform")))
    except (RecursionError, ValueError) as exc:  # a cycle; a closure cell still empty
        raise CacheKeyError(f"the model or transform cannot be read: {exc}") from None


def default_batch_size(images: torch.Tensor) -> int:
    """How many images :func:`compute_activations` sends through the body at once.

    100 small images at a time, fewer large ones (at most about 2 million input values
    a batch, never fewer than 16). Batches of about 100 kept each layer's output small
    enough to stay in the CPU's cache: on the 2-core benchmark machine they ran the
    small body over Fashion-MNIST about 1.4 times as fast as batches of 500 did, and
    resnet18 at 64 px faster than batches of 32, 64 or 162 did, with bit-for-bit the
    same activations.

    Example:
        >>> default_batch_size(torch.zeros(10, 28, 28, dtype=torch.uint8))
        100
        >>> default_batch_size(torch.zeros(10, 3, 224, 224, dtype=torch.uint8))
        16
    """
    per_image = max(1, images[0].numel()) if len(images) else 1
    return max(16, min(100, 2_000_000 // per_image))


@torch.no_grad()
def compute_activations(model: nn.Module, images: torch.Tensor, transform: Callable,
                        batch_size: int | None = None,
                        device: torch.device | str | None = None) -> torch.Tensor:
    """Run ``model`` (in eval mode) over ``transform(images)`` in batches on ``device``.

    The model must already be on ``device``; the result comes back to the CPU.

    Shape: ``images`` ``[N, ...]`` to ``[N, F]`` (whatever the model outputs per image).

    Raises:
        TypeError: ``images`` is not a tensor.
        ValueError: ``images`` holds no image, or ``batch_size`` is not a positive
            integer.
    """
    if not isinstance(images, torch.Tensor):
        raise TypeError("images must be a tensor [N, ...] of images, "
                        f"got {type(images).__name__}")
    if images.dim() == 0 or len(images) == 0:
        raise ValueError("images must hold at least one image, "
                         f"got shape {list(images.shape)}")
    bs = positive_int(batch_size, "batch_size", "images per forward pass",
                      none_means="as default_batch_size says") or default_batch_size(images)
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    outs = [model(transform(images[i : i + bs]).to(device or "cpu")).cpu()
            for i in range(0, len(images), bs)]
    for m, training in modes:  # restore each submodule's own mode
        m.training = training
    return torch.cat(outs)


def _read(path: Path, key: str) -> torch.Tensor | None:
    try:
        with warnings.catch_warnings():  # torch's loader may warn on a damaged file
            warnings.simplefilter("ignore")
            saved = torch.load(path, map_location="cpu", weights_only=True)
        feats = saved["features"]
        ok = (saved.get("key") == key and isinstance(feats, torch.Tensor)
              and _sha256(feats) == saved.get("sha256"))
    except Exception:  # missing, unreadable, truncated, garbled or foreign: recompute
        return None
    return feats if ok else None


def _write(path: Path, saved: dict) -> None:
    """``torch.save(saved)`` to ``path`` atomically: a temporary file, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            try:
                torch.save(saved, f)
            except RuntimeError as exc:  # torch's zip writer's error for a full disk
                raise OSError(f"torch.save could not write {path.name}, usually "
                              f"because the disk is full ({str(exc).strip()})") from exc
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _warn(message: str, warned: set[str] | None) -> None:
    if message not in (warned or ()):
        if warned is not None:
            warned.add(message)
        warnings.warn(message, UserWarning, stacklevel=3)


_NOT_KEYED = ("The activations are not cached: {}. They are computed in memory instead (the "
              "same numbers, only not stored for the next run). To cache them, make the "
              "transform a dataclass like lecnotes.data.Normalize and keep the model's "
              "settings in numbers, strings, tuples and tensors.")
"""The warning of :func:`cached_activations` when :func:`cache_key` cannot read an input."""


def cached_activations(model: nn.Module, images: torch.Tensor, transform: Callable,
                       cache_dir: str | Path | None = None, device: torch.device | str | None = None,
                       warned: set[str] | None = None) -> tuple[torch.Tensor, bool]:
    """Activations of ``model`` on ``images``, from the cache when a valid entry exists.

    Args:
        model, images: the frozen body and concat pooling; the raw images (``uint8 [N, 28, 28]``).
        transform: applied to each batch before the model, deterministic: a dataclass (like
            :class:`lecnotes.data.Normalize`) or a module, keyed by its code and state (see
            :func:`cache_key`); anything else is computed without the cache.
        cache_dir: where files go (default :func:`default_cache_dir`).
        device: where the model runs (it must already be there); features go to the CPU.
        warned: the warnings already shown, to which a new one is added (a Learner passes one
            set for all its splits, so each cause is reported once).

    Returns ``(features, hit)``: ``float32 [N, F]`` and whether they came from the cache.

    Warns:
        UserWarning: the key cannot read the model or the transform, or the folder is unusable
            (the message names which); the features, the same numbers, are not stored.

    Example:
        >>> import tempfile; from lecnotes.pooling import concat_pool
        >>> m = nn.Sequential(nn.Conv2d(1, 4, 3), concat_pool())
        >>> feats, hit = cached_activations(m, torch.zeros(10, 1, 8, 8), nn.Identity(), tempfile.mkdtemp())
        >>> feats.shape, hit
        (torch.Size([10, 8]), False)
    """
    folder = default_cache_dir() if cache_dir is None else _checks.folder(cache_dir, "cache_dir")
    try:
        key = cache_key(model, images, transform, device)
    except CacheKeyError as exc:
        _warn(_NOT_KEYED.format(exc), warned)
        return compute_activations(model, images, transform, device=device), False
    path = folder / f"{key}.pt"
    if (feats := _read(path, key)) is not None:
        return feats, True
    feats = compute_activations(model, images, transform, device=device)
    _store(path, {"key": key, "features": feats, "sha256": _sha256(feats)}, warned)
    return feats, False


def _store(path: Path, saved: dict, warned: set[str] | None) -> None:
    """Write a cache entry; a folder that cannot take it is one warning, not an error."""
    try:
        _write(path, saved)
    except OSError as exc:
        _warn(f"The activation cache folder {path.parent} cannot be used "
              f"({type(exc).__name__}: {exc.strerror or exc}), so the activations are "
              "computed in memory and not stored; the next run computes them again. "
              "Point cache_dir= (or $LECNOTES_CACHE) at a folder you can write to.",
              warned)
