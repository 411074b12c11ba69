"""The book's data: where Fashion-MNIST is found, and the two tasks made from it.

The book splits Fashion-MNIST's classes (:mod:`lecnotes.fashion`) into two tasks, the
way the lecture used ImageNet and then cats and dogs:

* the **source task** (``SOURCE_CLASSES``: sandal, shirt, sneaker, bag, ankle boot) has
  plenty of labels; the small body in :mod:`lecnotes.body` is pretrained on it;
* the **target task** (``TARGET_CLASSES``: t-shirt/top, trouser, pullover, dress, coat)
  has few labels (100 per class by default); only a head is trained on it, on top of the
  frozen body, and that is where overfitting shows. Its validation images (for choosing
  settings) come from the official training split too; its test split, for reporting
  once, is the official test images of the five classes.

Where the four IDX files come from, in order:

1. ``$LECNOTES_DATA``, when set: that folder must hold them (a mistyped path is an
   error, never a silent switch to another copy), and its files are checked against the
   known SHA-256 (:data:`SHA256`; another content is used with a warning);
2. the cache folder :func:`cache_dir` (``$XDG_CACHE_HOME/lecnotes/fashion-mnist``,
   usually ``~/.cache/...``);
3. Debian's ``/usr/share/datasets/fashion-mnist`` (package ``dataset-fashion-mnist``);
4. otherwise they are downloaded into the cache folder, once (about 30 MB; this is what
   happens on Colab), checked before they are kept (:func:`lecnotes.fashion.fetch`).
   ``LECNOTES_DOWNLOAD=0`` turns that off, and ``LECNOTES_DATA_URL`` replaces the
   official mirror :data:`BASE_URL`.

``bash scripts/get-data.sh`` (part of ``make setup``) checks for the files and, when
they are missing, installs Debian's package (as root) or runs
``python -m lecnotes.data --download``, which calls :func:`download`.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import torch

from . import fashion
from ._checks import flag, positive_int
from ._checks import folder as check_folder
from ._checks import seed as check_seed
from .fashion import (
    BASE_URL,
    CLASSES,
    DOWNLOAD_MB,
    FILES,
    SHA256,
    DownloadError,
    base_url,
    download_allowed,
)
from .folders import user_cache_dir
from .idx import read_idx
from .task import Task

__all__ = [
    "BASE_URL", "CLASSES", "DEBIAN_DIR", "DOWNLOAD_MB", "FILES", "MEAN", "SHA256",
    "SOURCE_CLASSES", "STD", "TARGET_CLASSES", "DownloadError", "Normalize", "base_url",
    "cache_dir", "download", "download_allowed", "find_data_dir", "load_split", "main",
    "read_idx", "search_dirs", "source_task", "target_task",
]

SOURCE_CLASSES: tuple[int, ...] = (5, 6, 7, 8, 9)
"""Labels of the source task: the body is pretrained on these."""

TARGET_CLASSES: tuple[int, ...] = (0, 1, 2, 3, 4)
"""Labels of the target task: the head is trained on these, with few labels."""

DEBIAN_DIR = Path(os.environ.get("LECNOTES_SYSTEM_DATA")
                  or "/usr/share/datasets/fashion-mnist")
"""Where Debian's package ``dataset-fashion-mnist`` puts the files (looked in last).

``$LECNOTES_SYSTEM_DATA``, read at import, names another system-wide folder instead (a
shared copy on a course's server); the tests point it at an empty folder to play a
machine without one.
"""

MEAN, STD = 0.2860, 0.3530  # pixel mean and std of the training images, in [0, 1]


def cache_dir() -> Path:
    """The per-user folder the files are downloaded into.

    Returns:
        ``fashion-mnist`` in :func:`lecnotes.folders.user_cache_dir`, e.g.
        ``~/.cache/lecnotes/fashion-mnist``.

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

    When ``$LECNOTES_DATA`` is set, :func:`find_data_dir` uses only its folder (the
    first one here) and reports an error if the files are not there.

    Example:
        >>> search_dirs()[-1] == DEBIAN_DIR
        True
    """
    env = _env_folder()
    return ([env] if env is not None else []) + [cache_dir(), DEBIAN_DIR]


def _check_env_folder(value: str, folder: Path) -> Path:
    """``$LECNOTES_DATA`` was set on purpose: it must hold the files, or say why not."""
    fix = ("Set LECNOTES_DATA to the folder holding the four Fashion-MNIST IDX files "
           f"(gzipped or not), or unset it to use {cache_dir()}, {DEBIAN_DIR} or the "
           "automatic download.")
    if not folder.exists():
        raise FileNotFoundError(
            f"LECNOTES_DATA is {value!r}, which does not exist. {fix}")
    if not folder.is_dir():
        raise FileNotFoundError(
            f"LECNOTES_DATA is {value!r}, which is a file, not a folder. {fix}")
    missing = fashion.missing(folder)
    if missing:
        raise FileNotFoundError(
            f"LECNOTES_DATA is {value!r}, a folder without {len(missing)} of the four "
            f"IDX files: {', '.join(missing)} (looked for NAME and NAME.gz, there and "
            f"in FashionMNIST/raw/). {fix}"
        )
    return folder


def _not_found(reason: str) -> FileNotFoundError:
    looked = ", ".join(str(d) for d in (cache_dir(), DEBIAN_DIR))
    return FileNotFoundError(
        f"Fashion-MNIST is not on this machine (looked in: {looked}) and {reason}.\n"
        "Get it one of two ways:\n"
        "  (1) set LECNOTES_DATA to a folder holding the four IDX files "
        f"({', '.join(fashion.NAMES)}, gzipped or not), or, on Debian as root, "
        "`apt-get install dataset-fashion-mnist`;\n"
        "  (2) go online (and unset LECNOTES_DOWNLOAD if it is 0) and run again, or "
        "run `python -m lecnotes.data --download`: the files (about "
        f"{DOWNLOAD_MB} MB) go into {cache_dir()}."
    )


def find_data_dir(allow_download: bool | None = None) -> Path:
    """Return the folder holding the four IDX files (for :func:`load_split`), downloading
    them first if need be.

    The order is ``$LECNOTES_DATA`` (only that folder, when set), :func:`cache_dir`,
    then :data:`DEBIAN_DIR`; when none holds the files they are downloaded into
    :func:`cache_dir` (see :func:`download`), with one line on stderr saying so.

    Args:
        allow_download: whether missing files may be downloaded; ``None`` (the default)
            asks :func:`download_allowed`, i.e. ``$LECNOTES_DOWNLOAD``.

    Raises:
        FileNotFoundError: ``$LECNOTES_DATA`` is set but is not a folder holding the files,
            or the files are nowhere and downloading is off or failed (a network error is
            chained as the cause); the message names the folders and both ways to get the data.
        DownloadError: a download arrived cut short or damaged (nothing is kept; run again).

    Example:
        >>> fashion.missing(find_data_dir())
        []
    """
    may_download = download_allowed() if allow_download is None else flag(
        allow_download, "allow_download", "whether missing files may be downloaded")
    env = _env_folder()
    if env is not None:
        return _check_env_folder(os.environ["LECNOTES_DATA"], env)
    for folder in (cache_dir(), DEBIAN_DIR):
        if not fashion.missing(folder):
            return folder
    if not may_download:
        raise _not_found(
            "downloading was not asked for" if allow_download is not None
            else f"the automatic download is off (LECNOTES_DOWNLOAD={os.environ.get('LECNOTES_DOWNLOAD')})")
    url = base_url()
    try:
        return download()
    except fashion.NETWORK_ERRORS as err:
        raise _not_found(f"the download from {url} failed ({err})") from err


def download(root: str | Path | None = None) -> Path:
    """Download the IDX files that ``root`` lacks from :func:`base_url`, checking each.

    Each file is kept only once it is whole and has the content recorded in
    :data:`SHA256` (see :func:`lecnotes.fashion.fetch`); files already in ``root`` are
    not downloaded again.

    Args:
        root: the folder to fill (created if need be); default :func:`cache_dir`.

    Returns:
        ``root``, as a ``Path``.

    Raises:
        DownloadError: a file arrived cut short or damaged (nothing of it is kept).
        urllib.error.URLError: the server could not be reached or answered with
            an error.

    Example:
        >>> download()  # doctest: +SKIP
        Downloading Fashion-MNIST (4 files, about 30 MB in all) from http://... into ...
        PosixPath('/home/me/.cache/lecnotes/fashion-mnist')
    """
    return fashion.fetch(Path(root) if root is not None else cache_dir(), base_url(), SHA256)


def load_split(split: str = "train",
               folder: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Load Fashion-MNIST's ``"train"`` or ``"test"`` split.

    Files under ``$LECNOTES_DATA`` are also checked against :data:`SHA256`.

    Returns:
        ``(images, labels)``: ``uint8 [N, 28, 28]`` and ``int64 [N]`` with N =
        60000 or 10000.

    Example:
        >>> x, y = load_split("test")
        >>> x.shape, y.dtype
        (torch.Size([10000, 28, 28]), torch.int64)
    """
    if not isinstance(split, str) or split not in FILES:
        raise ValueError(f"split must be one of {sorted(FILES)}, got {split!r}")
    folder = check_folder(folder, "folder") if folder is not None else find_data_dir()
    env = _env_folder()
    given = env is not None and env.resolve() == folder.resolve()
    return fashion.read_split(split, folder, SHA256 if given else None)


@dataclass(frozen=True)
class Normalize:
    """The transform of every image: scale to [0, 1], subtract ``mean``, divide by std.

    Its class and settings are part of the activation cache's key, so changing the
    transform means the cached activations are recomputed.

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


def _select(x: torch.Tensor, y: torch.Tensor, labels: tuple[int, ...],
            per_class: int | None, generator: torch.Generator,
            name: str = "per-class count") -> tuple[torch.Tensor, torch.Tensor]:
    """Take ``per_class`` seeded-random examples of each label, renumbered 0..C-1.

    ``name`` is the caller's argument that gave ``per_class``, for the message when it
    is too large.
    """
    return _take(x, y, labels, _indices(y, labels, per_class, generator, name))


def _indices(y: torch.Tensor, labels: tuple[int, ...], per_class: int | None,
             generator: torch.Generator,
             name: str = "per-class count") -> list[torch.Tensor]:
    """Per label, the positions in ``y`` of ``per_class`` seeded-random examples.

    ``None`` takes all of them, in order. ``y`` holds labels that :func:`load_split`
    checked; ``labels`` are a task's classes (:data:`SOURCE_CLASSES`, :data:`TARGET_CLASSES`).
    """
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
    """The examples at the positions ``keep`` (in file order), labels made 0..C-1."""
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
        n_valid: validation images per class, from the official test split (``None``:
            1000).
        seed: seeds the draw, so the same arguments always give the same images.

    Example:
        >>> src = source_task()
        >>> src.train_x.shape, src.c
        (torch.Size([15000, 28, 28]), 5)
    """
    n_train = positive_int(n_train, "n_train", none_means="all")
    n_valid = positive_int(n_valid, "n_valid", none_means="all")
    g = torch.Generator().manual_seed(check_seed(seed))
    tx, ty = _select(*load_split("train", folder), SOURCE_CLASSES, n_train, g, "n_train")
    vx, vy = _select(*load_split("test", folder), SOURCE_CLASSES, n_valid, g, "n_valid")
    return Task("source", tx, ty, vx, vy, tuple(CLASSES[i] for i in SOURCE_CLASSES), Normalize())


def target_task(n_train: int | None = 100, n_valid: int | None = 1000, seed: int = 0,
                folder: str | Path | None = None) -> Task:
    """The target task: classes ``TARGET_CLASSES``, with few labels, to train heads on.

    Three disjoint splits: training and validation images drawn from the official training
    split, and all the official test images of the five classes (1000 each) as the test
    split. Choose settings on the validation images; look at the test images once, to report.

    Args:
        n_train: labelled training images per class (default 100: 500 in all, few enough
            to overfit).
        n_valid: validation images per class (default 1000: 5000 in all); ``n_train +
            n_valid`` is at most 6000, the official training images of each class.
        seed: which training and validation images are drawn (the test split is fixed).

    Raises:
        ValueError: a count that is not a positive integer, or more than the data holds.

    Example:
        >>> tgt = target_task()
        >>> tgt.train_x.shape, tgt.valid_x.shape, tgt.test_x.shape
        (torch.Size([500, 28, 28]),
         torch.Size([5000, 28, 28]),
         torch.Size([5000, 28, 28]))
    """
    n_train = positive_int(n_train, "n_train", "training images per class")
    n_valid = positive_int(n_valid, "n_valid", "validation images per class")
    g = torch.Generator().manual_seed(check_seed(seed))
    x, y = load_split("train", folder)
    have = int(y.bincount(minlength=len(CLASSES))[list(TARGET_CLASSES)].min())
    if n_train + n_valid > have:  # type: ignore[operator]
        raise ValueError(f"n_train + n_valid must be at most {have} (the official training images "
                         f"of each class, from which both are drawn), got n_train={n_train} and "
                         f"n_valid={n_valid}: lower one of them")
    drawn = _indices(y, TARGET_CLASSES, n_train + n_valid, g)  # type: ignore[operator]
    train = _take(x, y, TARGET_CLASSES, [idx[:n_train] for idx in drawn])
    valid = _take(x, y, TARGET_CLASSES, [idx[n_train:] for idx in drawn])
    test = _select(*load_split("test", folder), TARGET_CLASSES, None, g)
    names = tuple(CLASSES[i] for i in TARGET_CLASSES)
    return Task("target", *train, *valid, names, Normalize(), *test)


def main(argv: list[str] | None = None) -> int:
    """``python -m lecnotes.data [--download]``: check for the files, or download them.

    Without ``--download`` it only looks (it never downloads); with it, missing files
    are downloaded into :func:`cache_dir`, even when ``LECNOTES_DOWNLOAD=0``.

    Args:
        argv: the command-line arguments (default: ``sys.argv[1:]``).

    Returns:
        0 when the files are there (printing their folder), 1 otherwise (printing why to
        stderr).

    Example:
        >>> main([])  # doctest: +ELLIPSIS
        Fashion-MNIST found in ...
        0
    """
    parser = argparse.ArgumentParser(prog="python -m lecnotes.data",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--download", action="store_true",
                        help=f"download the missing files into {cache_dir()}")
    args = parser.parse_args(argv)
    try:
        folder = find_data_dir(allow_download=args.download)
    except (FileNotFoundError, ValueError) as exc:  # also DownloadError, a bad setting
        print(exc, file=sys.stderr)
        return 1
    print(f"Fashion-MNIST found in {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
