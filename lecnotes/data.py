"""Fashion-MNIST, read from its original IDX files, and the book's two tasks.

Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017; MIT licence, Zalando SE) has 60,000 training
and 10,000 test images of clothing, 28 x 28 grey pixels, in 10 classes.

The book splits the classes into two tasks, the way the lecture used ImageNet and then cats
and dogs:

* the **source task** (``SOURCE_CLASSES``: sandal, shirt, sneaker, bag, ankle boot) has
  plenty of labels; the small body in :mod:`lecnotes.body` is pretrained on it;
* the **target task** (``TARGET_CLASSES``: t-shirt/top, trouser, pullover, dress, coat) has
  few labels (100 per class by default); only a head is trained on it, on top of the frozen
  body, and that is where overfitting shows.

The files are looked for, in order, in the folder named by ``$LECNOTES_DATA``, in the cache
folder (``$XDG_CACHE_HOME/lecnotes/fashion-mnist``, usually ``~/.cache/...``), and in
Debian's ``/usr/share/datasets/fashion-mnist`` (package ``dataset-fashion-mnist``). Each folder
may hold the files gzipped (``*.gz``) or not, flat or under torchvision's
``FashionMNIST/raw/`` layout.

``bash scripts/get-data.sh`` (part of ``make setup``) checks for the files and, when they are
missing, installs Debian's package (as root) or calls :func:`download`, which fetches them with
torchvision into the cache folder.
"""

from __future__ import annotations

import argparse
import gzip
import os
import struct
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

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
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
MEAN, STD = 0.2860, 0.3530  # pixel mean and std of the Fashion-MNIST training set, in [0, 1]

_DTYPES = {0x08: torch.uint8, 0x09: torch.int8, 0x0B: torch.int16, 0x0C: torch.int32,
           0x0D: torch.float32, 0x0E: torch.float64}


def cache_dir() -> Path:
    """The per-user folder where ``--download`` puts the files."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lecnotes" / "fashion-mnist"


def search_dirs() -> list[Path]:
    """The folders searched for the IDX files, in order."""
    dirs = []
    if os.environ.get("LECNOTES_DATA"):
        dirs.append(Path(os.environ["LECNOTES_DATA"]))
    dirs += [cache_dir(), DEBIAN_DIR]
    return dirs


def _find(name: str, folder: Path) -> Path | None:
    for sub in (folder, folder / "FashionMNIST" / "raw"):
        for candidate in (sub / name, sub / (name + ".gz")):
            if candidate.is_file():
                return candidate
    return None


def find_data_dir() -> Path:
    """Return the first folder in :func:`search_dirs` that holds all four IDX files.

    Raises:
        FileNotFoundError: naming every folder looked in and both ways to get the data.
    """
    needed = [n for pair in FILES.values() for n in pair]
    for folder in search_dirs():
        if all(_find(n, folder) for n in needed):
            return folder
    looked = ", ".join(str(d) for d in search_dirs())
    raise FileNotFoundError(
        "Fashion-MNIST not found (looked in: " + looked + "). Get it one of two ways: "
        "as root on Debian, `apt-get install dataset-fashion-mnist`; or, online, "
        "`python -m lecnotes.data --download` (torchvision fetches it into "
        f"{cache_dir()}). Or set LECNOTES_DATA to a folder holding the four IDX files."
    )


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
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        try:
            raw = f.read()
        except (EOFError, gzip.BadGzipFile, zlib.error) as err:  # cut-short or damaged .gz
            raise ValueError(f"{path}: truncated or damaged gzip file ({err})") from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    ndim = raw[3]
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
    if split not in FILES:
        raise ValueError(f"split must be one of {sorted(FILES)}, got {split!r}")
    folder = Path(folder) if folder is not None else find_data_dir()
    paths = [_find(name, folder) for name in FILES[split]]
    if None in paths:
        raise FileNotFoundError(f"{folder} lacks the IDX files for the {split!r} split")
    images, labels = (read_idx(p) for p in paths)  # type: ignore[arg-type]
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{split}: {images.shape[0]} images but {labels.shape[0]} labels")
    return images, labels.long()


@dataclass(frozen=True)
class Normalize:
    """The transform applied to every image: scale to [0, 1], subtract ``mean``, divide by ``std``.

    Its ``repr`` is part of the activation cache's key, so changing the transform means the
    cached activations are recomputed.

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


@dataclass
class Task:
    """A classification task: training and validation images with labels ``0..C-1``.

    Attributes:
        name: a short name, e.g. ``"target"``.
        train_x, valid_x: ``uint8 [N, 28, 28]`` images.
        train_y, valid_y: ``int64 [N]`` labels, renumbered to ``0..C-1``.
        classes: the class names, indexed by the renumbered label.
        transform: applied to a batch of images before it enters the body; its ``repr`` is
            part of the activation cache's key (:class:`Normalize` here, ImageNet
            normalisation for photos).
    """

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    valid_x: torch.Tensor
    valid_y: torch.Tensor
    classes: tuple[str, ...]
    transform: Callable[[torch.Tensor], torch.Tensor]

    @property
    def c(self) -> int:
        """Number of classes (fastai's ``data.c``)."""
        return len(self.classes)

    def __repr__(self) -> str:
        return (f"Task({self.name!r}: {len(self.train_y)} training and {len(self.valid_y)} "
                f"validation images, {self.c} classes: {', '.join(self.classes)})")


def _select(x: torch.Tensor, y: torch.Tensor, labels: tuple[int, ...], per_class: int | None,
            generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Take ``per_class`` seeded-random examples of each label and renumber labels 0..C-1."""
    keep = []
    for lab in labels:
        idx = (y == lab).nonzero().flatten()
        if per_class is not None:
            if per_class > len(idx):
                raise ValueError(f"per-class count {per_class} exceeds the {len(idx)} examples "
                                 f"of class {lab}")
            idx = idx[torch.randperm(len(idx), generator=generator)[:per_class]]
        keep.append(idx)
    order = torch.cat(keep).sort().values
    mapping = torch.full((10,), -1, dtype=torch.long)
    mapping[list(labels)] = torch.arange(len(labels))
    return x[order], mapping[y[order]]


def _check_count(name: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be a positive integer or None (all), got {value!r}")


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

    Args:
        n_train: labelled training images per class, from the official training split
            (default 100, so 500 in all: few enough to overfit).
        n_valid: validation images per class, from the official test split (default 1000,
            all of them, so 5000 in all).
        seed: seeds which training images are drawn.

    Example:
        >>> tgt = target_task()
        >>> tgt.train_x.shape, tgt.valid_x.shape
        (torch.Size([500, 28, 28]), torch.Size([5000, 28, 28]))
    """
    return _task("target", TARGET_CLASSES, n_train, n_valid, seed, folder)


def _task(name: str, labels: tuple[int, ...], n_train: int | None, n_valid: int | None,
          seed: int, folder: str | Path | None) -> Task:
    _check_count("n_train", n_train)
    _check_count("n_valid", n_valid)
    g = torch.Generator().manual_seed(seed)
    tx, ty = _select(*load_split("train", folder), labels, n_train, g)
    vx, vy = _select(*load_split("test", folder), labels, n_valid, g)
    return Task(name, tx, ty, vx, vy, tuple(CLASSES[i] for i in labels), Normalize())


def download(root: str | Path | None = None) -> Path:
    """Fetch Fashion-MNIST with torchvision into ``root`` (default: :func:`cache_dir`)."""
    from torchvision.datasets import FashionMNIST

    root = Path(root) if root is not None else cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    for train in (True, False):
        FashionMNIST(str(root), train=train, download=True)
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lecnotes.data", description=__doc__.split("\n")[0])
    parser.add_argument("--download", action="store_true", help="fetch with torchvision if missing")
    args = parser.parse_args(argv)
    try:
        folder = find_data_dir()
    except FileNotFoundError as exc:
        if not args.download:
            print(exc, file=sys.stderr)
            return 1
        try:
            folder = download()
        except Exception as err:  # no network, a server error...
            print(f"Download failed ({err}).\n{exc}", file=sys.stderr)
            return 1
    print(f"Fashion-MNIST found in {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
