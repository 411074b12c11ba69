"""Fashion-MNIST, read from its original IDX files, and the book's two tasks.

Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017; MIT licence, Zalando SE) has 60,000 training
and 10,000 test images of clothing, 28 x 28 grey pixels, in 10 classes.

The book splits the classes into two tasks, the way the lecture used ImageNet and then cats
and dogs:

* the **source task** (``SOURCE_CLASSES``: sandal, shirt, sneaker, bag, ankle boot) has
  plenty of labels; the small body in :mod:`lecnotes.body` is pretrained on it;
* the **target task** (``TARGET_CLASSES``: t-shirt/top, trouser, pullover, dress, coat) has
  few labels (100 per class by default); only a head is trained on it, on top of the frozen
  body, and that is where overfitting shows. Its validation images (for choosing settings)
  come from the official training split too; its test split, for reporting once, is the
  official test images of the five classes.

Where the four IDX files come from, in order:

1. ``$LECNOTES_DATA``, when set: that folder must hold them (a mistyped path is an error, never
   a silent switch to another copy);
2. the cache folder :func:`cache_dir` (``$XDG_CACHE_HOME/lecnotes/fashion-mnist``, usually
   ``~/.cache/...``);
3. Debian's ``/usr/share/datasets/fashion-mnist`` (package ``dataset-fashion-mnist``);
4. otherwise they are downloaded into the cache folder, once (about 30 MB; this is what
   happens on Colab). ``LECNOTES_DOWNLOAD=0`` turns that off, and ``LECNOTES_DATA_URL``
   replaces the official mirror :data:`BASE_URL`.

A folder may hold the files gzipped (``*.gz``) or not, flat or under torchvision's
``FashionMNIST/raw/`` layout.

Every download is checked before it is kept: the gzip file must decompress completely, its
content must have the SHA-256 recorded in :data:`SHA256`, and its size must match the
``Content-Length`` the server announced. It is written to a temporary file next to its final
place and only renamed into place once checked, so an interrupted or damaged download leaves
nothing behind and the next call simply starts again.

``bash scripts/get-data.sh`` (part of ``make setup``) checks for the files and, when they are
missing, installs Debian's package (as root) or runs ``python -m lecnotes.data --download``,
which calls :func:`download`.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import http.client
import os
import struct
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import torch

from ._checks import env_switch, flag, labels_outside, listed, positive_int
from ._checks import folder as check_folder
from ._checks import seed as check_seed
from .folders import user_cache_dir
from .task import Task

CLASSES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
"""The ten Fashion-MNIST class names, indexed by label."""

SOURCE_CLASSES: tuple[int, ...] = (5, 6, 7, 8, 9)
"""Labels of the source task: the body is pretrained on these."""

TARGET_CLASSES: tuple[int, ...] = (0, 1, 2, 3, 4)
"""Labels of the target task: the head is trained on these, with few labels."""

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
DEBIAN_DIR = Path(os.environ.get("LECNOTES_SYSTEM_DATA") or "/usr/share/datasets/fashion-mnist")
"""Where Debian's package ``dataset-fashion-mnist`` puts the files (looked in last).

``$LECNOTES_SYSTEM_DATA``, read at import, names another system-wide folder instead (a shared
copy on a course's server); the tests point it at an empty folder to play a machine without one.
"""

BASE_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
"""The official Fashion-MNIST mirror; ``$LECNOTES_DATA_URL`` replaces it."""

SHA256: dict[str, str] = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
"""SHA-256 of each file's *decompressed* content.

The content, not the ``.gz`` bytes: the same data gzipped by another tool (Debian recompressed
the files) gives other ``.gz`` bytes, but the same content.
"""

DOWNLOAD_MB = 30
"""Approximate size of the four ``.gz`` files together, in MB."""

TIMEOUT = 60
"""Seconds a download waits for the server before giving up."""

MEAN, STD = 0.2860, 0.3530  # pixel mean and std of the Fashion-MNIST training set, in [0, 1]

_DTYPES = {0x08: torch.uint8, 0x09: torch.int8, 0x0B: torch.int16, 0x0C: torch.int32,
           0x0D: torch.float32, 0x0E: torch.float64}
_NAMES = tuple(name for pair in FILES.values() for name in pair)
# What a failed connection raises: no network, refused, name lookup, timeout, HTTP error status.
_NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError)


class DownloadError(ValueError):
    """A downloaded file arrived cut short or damaged. Nothing of it was kept: run again.

    A subclass of ``ValueError``, like :func:`read_idx`'s errors for damaged files on disk.
    """


def cache_dir() -> Path:
    """The per-user folder the files are downloaded into.

    Returns:
        ``$XDG_CACHE_HOME/lecnotes/fashion-mnist``, or ``~/.cache/lecnotes/fashion-mnist``
        when ``XDG_CACHE_HOME`` is unset.

    Example:
        >>> cache_dir().parts[-2:]
        ('lecnotes', 'fashion-mnist')
    """
    return user_cache_dir("fashion-mnist")


def _env_folder() -> Path | None:
    value = os.environ.get("LECNOTES_DATA")
    return Path(value).expanduser() if value else None


def search_dirs() -> list[Path]:
    """The folders searched for the IDX files, in order.

    When ``$LECNOTES_DATA`` is set, :func:`find_data_dir` uses only its folder (the first one
    here) and reports an error if the files are not there.

    Example:
        >>> search_dirs()[-1] == DEBIAN_DIR
        True
    """
    env = _env_folder()
    return ([env] if env is not None else []) + [cache_dir(), DEBIAN_DIR]


def _find(name: str, folder: Path) -> Path | None:
    for sub in (folder, folder / "FashionMNIST" / "raw"):
        for candidate in (sub / name, sub / (name + ".gz")):
            if candidate.is_file():
                return candidate
    return None


def download_allowed() -> bool:
    """Whether :func:`find_data_dir` may download missing files: ``$LECNOTES_DOWNLOAD``.

    Returns:
        False when ``LECNOTES_DOWNLOAD`` is ``0`` (or ``false``, ``no``, ``off``); True when it
        is unset, empty, ``1``, ``true``, ``yes`` or ``on``.

    Raises:
        ValueError: any other value.

    Example:
        >>> isinstance(download_allowed(), bool)
        True
    """
    allowed = env_switch("LECNOTES_DOWNLOAD", "never download Fashion-MNIST",
                         "download it when it is missing, the default")
    return allowed is not False


def base_url() -> str:
    """The address the files are downloaded from: ``$LECNOTES_DATA_URL`` or :data:`BASE_URL`.

    Returns:
        The address, ending in ``/``; a file's address is this followed by ``NAME.gz``.

    Raises:
        ValueError: ``LECNOTES_DATA_URL`` is not an ``http://`` or ``https://`` address.

    Example:
        >>> base_url().endswith("/")
        True
    """
    url = os.environ.get("LECNOTES_DATA_URL") or BASE_URL
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"LECNOTES_DATA_URL is {url!r}; it must be an http:// or https:// address of a folder "
            f"holding the four .gz files ({', '.join(n + '.gz' for n in _NAMES)}). Correct it, "
            f"or unset it to use the official mirror {BASE_URL}."
        )
    return url.rstrip("/") + "/"


def _check_env_folder(value: str, folder: Path) -> Path:
    """``$LECNOTES_DATA`` was set on purpose: its folder must hold the files, or say why not."""
    fix = ("Set LECNOTES_DATA to the folder holding the four Fashion-MNIST IDX files (gzipped or "
           f"not), or unset it to use {cache_dir()}, {DEBIAN_DIR} or the automatic download.")
    if not folder.exists():
        raise FileNotFoundError(f"LECNOTES_DATA is {value!r}, which does not exist. {fix}")
    if not folder.is_dir():
        raise FileNotFoundError(f"LECNOTES_DATA is {value!r}, which is a file, not a folder. {fix}")
    missing = [name for name in _NAMES if _find(name, folder) is None]
    if missing:
        raise FileNotFoundError(
            f"LECNOTES_DATA is {value!r}, a folder without {len(missing)} of the four IDX files: "
            f"{', '.join(missing)} (looked for NAME and NAME.gz, there and in FashionMNIST/raw/). {fix}"
        )
    return folder


def _not_found(reason: str) -> FileNotFoundError:
    looked = ", ".join(str(d) for d in (cache_dir(), DEBIAN_DIR))
    return FileNotFoundError(
        f"Fashion-MNIST is not on this machine (looked in: {looked}) and {reason}.\n"
        "Get it one of two ways:\n"
        "  (1) set LECNOTES_DATA to a folder holding the four IDX files "
        f"({', '.join(_NAMES)}, gzipped or not), or, on Debian as root, "
        "`apt-get install dataset-fashion-mnist`;\n"
        "  (2) go online (and unset LECNOTES_DOWNLOAD if it is 0) and run again, or run "
        f"`python -m lecnotes.data --download`: the files (about {DOWNLOAD_MB} MB) go into {cache_dir()}."
    )


def find_data_dir(allow_download: bool | None = None) -> Path:
    """Return the folder holding the four IDX files, downloading them first if need be.

    The order is ``$LECNOTES_DATA`` (only that folder, when set), :func:`cache_dir`, then
    :data:`DEBIAN_DIR`; when none holds the files they are downloaded into :func:`cache_dir`
    (see :func:`download`), with one line on stderr saying so.

    Args:
        allow_download: whether missing files may be downloaded; ``None`` (the default)
            asks :func:`download_allowed`, i.e. ``$LECNOTES_DOWNLOAD``.

    Returns:
        The folder, to pass to :func:`load_split` or :func:`read_idx`.

    Raises:
        FileNotFoundError: ``$LECNOTES_DATA`` is set but is not a folder holding the files (the
            message names it); or the files are nowhere and downloading is off or failed (the
            message names the folders looked in and both ways to get the data; a network error
            is chained as the cause).
        DownloadError: a download arrived cut short or damaged (nothing is kept; run again).

    Example:
        >>> _find("t10k-labels-idx1-ubyte", find_data_dir()) is not None
        True
    """
    may_download = download_allowed() if allow_download is None else \
        flag(allow_download, "allow_download", "whether missing files may be downloaded")
    env = _env_folder()
    if env is not None:
        return _check_env_folder(os.environ["LECNOTES_DATA"], env)
    for folder in (cache_dir(), DEBIAN_DIR):
        if all(_find(name, folder) for name in _NAMES):
            return folder
    if allow_download is None:
        if not may_download:
            raise _not_found("the automatic download is off (LECNOTES_DOWNLOAD="
                             f"{os.environ.get('LECNOTES_DOWNLOAD')})")
    elif not may_download:
        raise _not_found("downloading was not asked for")
    url = base_url()
    try:
        return download()
    except _NETWORK_ERRORS as err:
        raise _not_found(f"the download from {url} failed ({err})") from err


def read_idx(path: str | Path) -> torch.Tensor:
    """Read one IDX file (gzipped or not) into a tensor.

    The IDX format is a 4-byte magic number (two zero bytes, a type code, the number of
    dimensions), one big-endian uint32 per dimension, then the values.

    Returns:
        A tensor of the stored type and shape, e.g. ``uint8 [60000, 28, 28]`` for images or
        ``uint8 [60000]`` for labels.

    Example:
        >>> labels = read_idx(_find("t10k-labels-idx1-ubyte", find_data_dir()))
        >>> labels.shape, labels.dtype
        (torch.Size([10000]), torch.uint8)
    """
    path = Path(path)
    return _parse_idx(path, _content(path))


def _content(path: Path) -> bytes:
    """A file's bytes, decompressed if it is gzipped."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        try:
            return f.read()
        except (EOFError, gzip.BadGzipFile, zlib.error) as err:  # cut-short or damaged .gz
            raise ValueError(f"{path}: truncated or damaged gzip file ({err})") from err


def _parse_idx(path: Path, raw: bytes) -> torch.Tensor:
    """The tensor an IDX file's content holds (see :func:`read_idx`)."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    ndim = raw[3]
    if ndim == 0:
        raise ValueError(f"{path}: not an IDX file of images or labels: its header says 0 dimensions")
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path}: truncated IDX file: the header of {ndim} sizes is cut short")
    shape = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    dtype = _DTYPES[raw[2]]
    body = raw[4 + 4 * ndim :]
    count = 1
    for s in shape:
        count *= s
    itemsize = torch.empty((), dtype=dtype).element_size()
    if len(body) != count * itemsize:
        raise ValueError(
            f"{path}: truncated or padded IDX file: header says {count} values of "
            f"{itemsize} byte(s), found {len(body)} bytes"
        )
    values = torch.frombuffer(bytearray(body), dtype=dtype)
    if itemsize > 1 and sys.byteorder == "little":  # IDX stores big-endian values
        values = values.view(torch.uint8).view(-1, itemsize).flip(1).reshape(-1).view(dtype)
    return values.reshape(shape).clone()


def load_split(split: str = "train", folder: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Load Fashion-MNIST's ``"train"`` or ``"test"`` split.

    Returns:
        ``(images, labels)``: ``uint8 [N, 28, 28]`` and ``int64 [N]`` with N = 60000 or 10000.

    Example:
        >>> x, y = load_split("test")
        >>> x.shape, y.dtype
        (torch.Size([10000, 28, 28]), torch.int64)
    """
    if not isinstance(split, str) or split not in FILES:
        raise ValueError(f"split must be one of {sorted(FILES)}, got {split!r}")
    folder = check_folder(folder, "folder") if folder is not None else find_data_dir()
    paths = [_find(name, folder) for name in FILES[split]]
    if None in paths:
        raise FileNotFoundError(f"{folder} lacks the IDX files for the {split!r} split")
    env = _env_folder()
    check_sums = env is not None and env.resolve() == folder.resolve()
    images, labels = (_read_fashion(p, name, check_sums)  # type: ignore[arg-type]
                      for p, name in zip(paths, FILES[split], strict=True))
    if images.dim() != 3 or images.shape[1:] != (28, 28) or labels.dim() != 1:
        raise ValueError(
            f"{paths[0]} and {paths[1]} hold shapes {list(images.shape)} and {list(labels.shape)}; "
            "Fashion-MNIST's are [N, 28, 28] and [N]. They are not Fashion-MNIST's files: restore "
            "the originals (see `python -m lecnotes.data --download`)")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{split}: {images.shape[0]} images but {labels.shape[0]} labels")
    outside = labels_outside(labels, len(CLASSES))
    if outside:
        raise ValueError(
            f"{paths[1]}: Fashion-MNIST's labels are 0..{len(CLASSES) - 1} (its {len(CLASSES)} "
            f"classes), but this file holds labels outside that range: {listed(outside)}. It is not "
            "Fashion-MNIST's labels file, or it is damaged: restore the original (see "
            "`python -m lecnotes.data --download`) or point LECNOTES_DATA at the original files."
        )
    return images, labels.long()


_SUMS_SEEN: dict[tuple[str, int, int], str] = {}
"""Per file (path, size, modification time), the SHA-256 of its content, once computed."""


def _read_fashion(path: Path, name: str, check_sum: bool) -> torch.Tensor:
    """One of Fashion-MNIST's IDX files: uint8 values, and (``check_sum``) its known SHA-256.

    A content with another SHA-256 is read all the same (a re-encoded copy may be fine), with
    one warning per file.
    """
    raw = _content(path)
    values = _parse_idx(path, raw)
    if values.dtype != torch.uint8:
        raise ValueError(
            f"{path} holds {values.dtype} values; Fashion-MNIST's IDX files hold uint8 (pixel values "
            "0..255 and labels 0..9). It is not Fashion-MNIST's file: restore the original (see "
            "`python -m lecnotes.data --download`)")
    if check_sum:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        if key not in _SUMS_SEEN:
            _SUMS_SEEN[key] = digest = hashlib.sha256(raw).hexdigest()
            if digest != SHA256[name]:
                warnings.warn(
                    f"{path} (under LECNOTES_DATA) has SHA-256 {digest}, not Fashion-MNIST's "
                    f"{SHA256[name]}: its content differs from the official {name}. It is used as "
                    "it is; if this is not meant, restore the original file.", UserWarning,
                    stacklevel=4)
    return values


@dataclass(frozen=True)
class Normalize:
    """The transform applied to every image: scale to [0, 1], subtract ``mean``, divide by ``std``.

    Its class and settings are part of the activation cache's key, so changing the transform
    means the cached activations are recomputed.

    Shape: ``uint8 [N, 28, 28]`` in, ``float32 [N, 1, 28, 28]`` out.

    Example:
        >>> Normalize()(torch.zeros(2, 28, 28, dtype=torch.uint8)).shape
        torch.Size([2, 1, 28, 28])
    """

    mean: float = MEAN
    std: float = STD

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float().div(255.0).sub(self.mean).div(self.std)
        return x.unsqueeze(1) if x.dim() == 3 else x


def _select(x: torch.Tensor, y: torch.Tensor, labels: tuple[int, ...], per_class: int | None,
            generator: torch.Generator, name: str = "per-class count") -> tuple[torch.Tensor, torch.Tensor]:
    """Take ``per_class`` seeded-random examples of each label and renumber labels 0..C-1.

    ``name`` is the caller's argument that gave ``per_class``, for the message when it is too large.
    """
    return _take(x, y, labels, _indices(y, labels, per_class, generator, name))


def _indices(y: torch.Tensor, labels: tuple[int, ...], per_class: int | None,
             generator: torch.Generator, name: str = "per-class count") -> list[torch.Tensor]:
    """Per label, the positions of ``per_class`` seeded-random examples (all, in order, for None)."""
    n = len(CLASSES)
    wrong = sorted({int(lab) for lab in labels if not 0 <= int(lab) < n})
    if wrong:
        raise ValueError(f"labels {listed(wrong)} are outside 0..{n - 1}, Fashion-MNIST's {n} classes; "
                         f"pick the task's classes among 0..{n - 1} (see CLASSES)")
    outside = labels_outside(y, n)
    if outside:
        raise ValueError(f"the data holds labels {listed(outside)}, outside 0..{n - 1} (Fashion-MNIST's "
                         f"{n} classes)")
    keep = []
    for lab in labels:
        idx = (y == lab).nonzero().flatten()
        if per_class is not None:
            if per_class > len(idx):
                raise ValueError(f"{name} {per_class} exceeds the {len(idx)} examples "
                                 f"of class {lab} ({CLASSES[lab]}): lower {name}")
            idx = idx[torch.randperm(len(idx), generator=generator)[:per_class]]
        keep.append(idx)
    return keep


def _take(x: torch.Tensor, y: torch.Tensor, labels: tuple[int, ...],
          keep: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """The examples at the positions ``keep`` (in file order), labels renumbered to 0..C-1."""
    order = torch.cat(keep).sort().values
    mapping = torch.full((10,), -1, dtype=torch.long)
    mapping[list(labels)] = torch.arange(len(labels))
    return x[order], mapping[y[order]]


def source_task(n_train: int | None = 3000, n_valid: int | None = 1000, seed: int = 0,
                folder: str | Path | None = None) -> Task:
    """The source task: classes ``SOURCE_CLASSES``, for pretraining the body.

    Args:
        n_train: training images per class, drawn from the official training split
            (``None`` for all 6000).
        n_valid: validation images per class, from the official test split (``None``: 1000).
        seed: seeds the draw, so the same arguments always give the same images.

    Example:
        >>> src = source_task()
        >>> src.train_x.shape, src.c
        (torch.Size([15000, 28, 28]), 5)
    """
    return _task("source", SOURCE_CLASSES, n_train, n_valid, seed, folder)


def target_task(n_train: int | None = 100, n_valid: int | None = 1000, seed: int = 0,
                folder: str | Path | None = None) -> Task:
    """The target task: classes ``TARGET_CLASSES``, with few labels, where the head is trained.

    Three disjoint splits: training and validation images are drawn from the official training
    split, and the test split is all of the official test images of the five classes (1000
    each). Choose settings on the validation images; look at the test images once, to report.

    Args:
        n_train: labelled training images per class (default 100, so 500 in all: few enough to
            overfit).
        n_valid: validation images per class (default 1000, so 5000 in all), drawn from the
            official training images not used for training; ``n_train + n_valid`` is at most
            6000, the images each class has there.

    Raises:
        ValueError: a count that is not a positive integer, or more than the data holds; the
            message names ``n_train`` and ``n_valid``.
        seed: seeds which training and validation images are drawn (the test split is fixed).

    Example:
        >>> tgt = target_task()
        >>> tgt.train_x.shape, tgt.valid_x.shape, tgt.test_x.shape
        (torch.Size([500, 28, 28]), torch.Size([5000, 28, 28]), torch.Size([5000, 28, 28]))
    """
    n_train = positive_int(n_train, "n_train", "training images per class")
    n_valid = positive_int(n_valid, "n_valid", "validation images per class")
    g = torch.Generator().manual_seed(check_seed(seed))
    x, y = load_split("train", folder)
    have = int(y.bincount(minlength=len(CLASSES))[list(TARGET_CLASSES)].min())
    if n_train + n_valid > have:  # type: ignore[operator]
        raise ValueError(
            f"n_train + n_valid must be at most {have} (the official training images of each "
            f"class, from which both are drawn), got n_train={n_train} and n_valid={n_valid}: "
            "lower one of them"
        )
    drawn = _indices(y, TARGET_CLASSES, n_train + n_valid, g)  # type: ignore[operator]
    train = _take(x, y, TARGET_CLASSES, [idx[:n_train] for idx in drawn])
    valid = _take(x, y, TARGET_CLASSES, [idx[n_train:] for idx in drawn])
    test = _select(*load_split("test", folder), TARGET_CLASSES, None, g)
    return Task("target", *train, *valid, tuple(CLASSES[i] for i in TARGET_CLASSES), Normalize(),
                *test)


def _task(name: str, labels: tuple[int, ...], n_train: int | None, n_valid: int | None,
          seed: int, folder: str | Path | None) -> Task:
    n_train = positive_int(n_train, "n_train", none_means="all")
    n_valid = positive_int(n_valid, "n_valid", none_means="all")
    g = torch.Generator().manual_seed(check_seed(seed))
    tx, ty = _select(*load_split("train", folder), labels, n_train, g, "n_train")
    vx, vy = _select(*load_split("test", folder), labels, n_valid, g, "n_valid")
    return Task(name, tx, ty, vx, vy, tuple(CLASSES[i] for i in labels), Normalize())


def _content_sha256(path: Path, name: str) -> tuple[str, int]:
    """SHA-256 and size of a downloaded ``.gz`` file's decompressed content."""
    digest, size = hashlib.sha256(), 0
    try:
        with gzip.open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:  # cut short, damaged, CRC mismatch
        raise DownloadError(
            f"{name}.gz: expected a complete, intact gzip file, but what arrived "
            f"({path.stat().st_size} bytes) fails to decompress ({err}): the download was cut short "
            "or damaged. "
            "Nothing was kept; run again."
        ) from err
    return digest.hexdigest(), size


def _fetch(url: str, name: str, folder: Path) -> Path:
    """Download ``url`` into ``folder/name.gz`` through a temporary file, checked before kept."""
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{name}.gz.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            announced = response.headers.get("Content-Length", "").strip()
            expected = int(announced) if announced.isdigit() else None
            received = 0
            try:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    received += len(chunk)
            except http.client.IncompleteRead as err:  # a chunked response cut short
                missing = f"{err.expected} more bytes" if err.expected else "more bytes"
                raise DownloadError(
                    f"{name}.gz: the server promised {missing} but its response ended after "
                    f"{received + len(err.partial)} bytes: the download was cut short. "
                    "Nothing was kept; run again."
                ) from err
        if expected is not None and received != expected:
            raise DownloadError(
                f"{name}.gz: the server announced {expected} bytes (Content-Length) but "
                f"{received} arrived: the download was cut short. Nothing was kept; run again."
            )
        digest, size = _content_sha256(tmp, name)
        if digest != SHA256[name]:
            raise DownloadError(
                f"{name}.gz: expected content with SHA-256 {SHA256[name]}, but what arrived "
                f"decompresses to {size} bytes with SHA-256 {digest}: the download is damaged "
                f"(or {url} serves other data). Nothing was kept; run again."
            )
        target = folder / (name + ".gz")
        os.replace(tmp, target)
        return target
    except BaseException:  # also Ctrl-C: never leave a half-written file behind
        tmp.unlink(missing_ok=True)
        raise


def download(root: str | Path | None = None) -> Path:
    """Download the IDX files missing from ``root`` from :func:`base_url`, checking each one.

    Uses only the standard library. Each file is written to a temporary file in ``root``,
    checked (complete gzip, the announced ``Content-Length``, the content's SHA-256 in
    :data:`SHA256`) and only then renamed to ``NAME.gz``; on any failure the temporary file is
    deleted, so a later call starts that file again from scratch. Files already in ``root``
    are not downloaded again.

    Args:
        root: the folder to fill (created if need be); default :func:`cache_dir`.

    Returns:
        ``root``, as a ``Path``.

    Raises:
        DownloadError: a file arrived cut short or damaged (nothing of it is kept).
        urllib.error.URLError: the server could not be reached or answered with an error.

    Example:
        >>> download()  # doctest: +SKIP
        Downloading Fashion-MNIST (4 files, about 30 MB) from http://fashion-mnist... into ...
        PosixPath('/home/me/.cache/lecnotes/fashion-mnist')
    """
    root = Path(root) if root is not None else cache_dir()
    url = base_url()
    todo = [name for name in _NAMES if _find(name, root) is None]
    if todo:
        root.mkdir(parents=True, exist_ok=True)
        print(f"Downloading Fashion-MNIST ({len(todo)} files, about {DOWNLOAD_MB} MB in all) from "
              f"{url} into {root}", file=sys.stderr, flush=True)
        for name in todo:
            _fetch(url + name + ".gz", name, root)
    return root


def main(argv: list[str] | None = None) -> int:
    """``python -m lecnotes.data [--download]``: check for the files, or download them.

    Without ``--download`` it only looks (it never downloads); with it, missing files are
    downloaded into :func:`cache_dir`, even when ``LECNOTES_DOWNLOAD=0``.

    Args:
        argv: the command-line arguments (default: ``sys.argv[1:]``).

    Returns:
        0 when the files are there (printing their folder), 1 otherwise (printing why to stderr).

    Example:
        >>> main([])  # doctest: +ELLIPSIS
        Fashion-MNIST found in ...
        0
    """
    parser = argparse.ArgumentParser(prog="python -m lecnotes.data", description=__doc__.split("\n")[0])
    parser.add_argument("--download", action="store_true",
                        help=f"download the files into {cache_dir()} if they are missing")
    args = parser.parse_args(argv)
    try:
        folder = find_data_dir(allow_download=args.download)
    except (FileNotFoundError, ValueError) as exc:  # ValueError: DownloadError, a bad setting
        print(exc, file=sys.stderr)
        return 1
    print(f"Fashion-MNIST found in {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
