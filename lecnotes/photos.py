"""Photo folders as tasks: the lecture's own kind of data (real photos, 224 px) for the Learner.

:func:`photo_task` reads an ``ImageFolder``-style photo set into a :class:`~lecnotes.task.Task`
(images resized and centre-cropped once, kept as ``uint8``), which the same
:class:`~lecnotes.learner.Learner` the chapters use trains a head on. The ImageNet-weighted
body it goes with is :func:`lecnotes.body.resnet_body` (``pretrained=True``), and the
Oxford-IIIT Pet photos come from :func:`lecnotes.pets.oxford_pets_folder`.

:class:`ImageNetNormalize`, the task's transform, lives here rather than beside the body: it
turns the ``uint8`` photos that :func:`photo_task` stores into the floats an ImageNet body
expects, so it belongs to the storage this module chose. (Moving it would also change every
cached activation's key, which holds the transform's module and class name.)

Folder layouts understood (the class names are the sub-folder names):

* ``root/train/<class>/*.jpg`` and ``root/valid/<class>/*.jpg`` (fastai's dogscats layout);
* ``root/<class>/*.jpg``: split here into training and validation by a seeded draw.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from ._checks import folder as check_folder
from ._checks import int_at_least, positive_int, share
from ._checks import seed as check_seed
from .task import Task

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
MAX_SIZE = 2048
"""The largest side ``photo_task`` resizes to: ImageNet bodies take 224, and a side of 10**5 would
try to allocate tens of gigabytes per photo."""
EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")


@dataclass(frozen=True)
class ImageNetNormalize:
    """Scale ``uint8 [N, 3, H, W]`` photos to [0, 1] and normalise with ImageNet's mean and std.

    Example:
        >>> ImageNetNormalize()(torch.zeros(2, 3, 8, 8, dtype=torch.uint8)).shape
        torch.Size([2, 3, 8, 8])
    """

    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        mean = torch.tensor(self.mean).view(1, 3, 1, 1)
        std = torch.tensor(self.std).view(1, 3, 1, 1)
        return (images.float() / 255.0 - mean) / std


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file())


def _class_dirs(folder: Path) -> list[Path]:
    return sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))


def _rgb(im):
    """A PIL image as 8-bit RGB; 16-bit grey is scaled to 8 bits (``convert`` would clip it at 255).

    Pillow reads 16-bit colour PNGs as RGB already, keeping each value's high byte; 16-bit grey
    (modes ``I;16...``, and ``I`` from a PNG) gets the same: ``value >> 8``.
    """
    import numpy as np
    from PIL import Image

    if im.mode.startswith("I;16") or (im.mode == "I" and im.format == "PNG"):
        wide = np.asarray(im).astype(np.uint32)
        if wide.max(initial=0) > 65535:
            raise ValueError(f"a {im.mode} image with values above 65535 is not 16-bit")
        return Image.fromarray((wide >> 8).astype(np.uint8), "L").convert("RGB")
    if im.mode in ("I", "F"):
        raise ValueError(f"its pixels are {im.mode} ({'32-bit integers' if im.mode == 'I' else 'floats'}), "
                         "whose range is not known; save it as an 8- or 16-bit image")
    return im.convert("RGB")


def _load(paths: list[Path], size: int) -> list[torch.Tensor]:
    """Decode, resize the short side to ``size`` and centre-crop; skip files that fail."""
    from PIL import Image, UnidentifiedImageError
    from torchvision.transforms import functional as TF

    kept = []
    for p in paths:
        try:
            with Image.open(p) as im:
                im = TF.center_crop(TF.resize(_rgb(im), size), [size, size])
                kept.append(TF.pil_to_tensor(im))
        except Image.DecompressionBombError as exc:
            raise ValueError(
                f"{p} is larger than PIL's safety limit for one image ({exc}). "
                "Shrink the file, or, if you trust it, raise "
                "PIL.Image.MAX_IMAGE_PIXELS before calling photo_task") from None
        except (OSError, UnidentifiedImageError, ValueError) as exc:
            # stacklevel: the warning points at the line that called photo_task
            warnings.warn(f"skipping {p}: it could not be decoded as an image ({exc})",
                          stacklevel=4)
    return kept


LAYOUT = ("root/<class>/<image> or root/train/<class>/<image> with "
          "root/valid/<class>/<image>")
"""The folder layouts :func:`photo_task` reads, as its messages name them."""
Files = dict[str, dict[str, list[Path]]]
"""Image files by split (``"train"``, ``"valid"``), then by class."""


def photo_task(root: str | Path, size: int = 224, valid_share: float = 0.2,
               seed: int = 0, max_per_class: int | None = None) -> Task:
    """Read a photo folder into a :class:`~lecnotes.task.Task` of ``uint8 [N, 3, size, size]``.

    Images that fail to decode are skipped with a warning naming the file.

    Args:
        root: ``root/train/<class>/`` and ``root/valid/<class>/``, or ``root/<class>/``.
        size: images are resized (short side) and centre-cropped to ``size`` x ``size``.
        valid_share: share of each class held out for validation in the single-folder layout.
        seed: seeds that split and the ``max_per_class`` draw.
        max_per_class: keep at most this many images per class and split (for quick runs).

    Raises:
        FileNotFoundError: ``root`` does not exist (NotADirectoryError: it is a file).
        TypeError: ``root`` is not a path.
        ValueError: a wrong argument, fewer than 2 class folders, a class with no
            images (or none that decodes) in a split, or a photo beyond PIL's size
            limit; the message names it.

    Example:
        >>> task = photo_task("data/dogscats", size=224)  # doctest: +SKIP
        >>> task.train_x.shape[1:], task.classes  # doctest: +SKIP
        (torch.Size([3, 224, 224]), ('cats', 'dogs'))
    """
    root = _photo_folder(root)
    size, valid_share, seed, most = _photo_args(size, valid_share, seed, max_per_class)
    g = torch.Generator().manual_seed(seed)
    folders, files = _class_files(root, valid_share, g)
    classes, images_and_labels = list(files["train"]), []
    for split in ("train", "valid"):
        picked = [_at_most(files[split][c], most, g) for c in classes]
        images_and_labels += _split_tensors(split, folders[split], classes, picked, size, root)
    return Task(f"photos:{os.path.basename(root)}", *images_and_labels, tuple(classes),
                ImageNetNormalize())  # type: ignore[arg-type]


def _photo_folder(root: object) -> Path:
    """``root`` as the path of an existing folder, or an error saying what it is."""
    root = check_folder(root, "root")
    if not root.exists():
        raise FileNotFoundError(f"photo folder {root} does not exist")
    if not root.is_dir():
        raise NotADirectoryError(
            f"root must be a folder of class folders, but {root} is a file")
    return root


def _photo_args(size: object, valid_share: object, seed: object,
                max_per_class: object) -> tuple[int, float, int, int | None]:
    """:func:`photo_task`'s numeric arguments, checked, as Python numbers."""
    size = int_at_least(size, "size", 8, "the photos' side in pixels")
    if size > MAX_SIZE:
        raise ValueError(f"size must be at most {MAX_SIZE} (the photos' side in "
                         f"pixels; ImageNet bodies take 224), got {size}")
    valid_share = share(valid_share, "valid_share",
                        "the share of each class held out for validation", zero=False)
    max_per_class = positive_int(max_per_class, "max_per_class",
                                 none_means="all the images")
    return size, valid_share, check_seed(seed), max_per_class


def _class_files(root: Path, valid_share: float,
                 g: torch.Generator) -> tuple[dict[str, Path], Files]:
    """Each split's folder, and its image files by class, in either layout.

    Raises:
        ValueError: fewer than 2 class folders.
    """
    given = (root / "train").is_dir() and (root / "valid").is_dir()
    folders = {split: root / split if given else root for split in ("train", "valid")}
    files = _given_split(root) if given else _drawn_split(root, valid_share, g)
    if len(files["train"]) < 2:
        raise ValueError(f"{root} has {len(files['train'])} class folder(s); need at "
                         f"least 2, laid out as {LAYOUT}")
    return folders, files


def _given_split(root: Path) -> Files:
    """The images of ``root/train/<class>`` and ``root/valid/<class>``.

    The classes are the training folder's; a class folder only under ``valid``
    is refused, since that class would have no training images.
    """
    train, valid = root / "train", root / "valid"
    classes = [d.name for d in _class_dirs(train)]
    only_valid = sorted({d.name for d in _class_dirs(valid)} - set(classes))
    if only_valid:
        raise ValueError(
            f"class folder(s) {only_valid} under {valid} have no counterpart under "
            f"{train}, so the class would have no training images: add "
            f"{train / only_valid[0]} with its images, or remove the valid folder")
    return {s: {c: _images_in(f / c) for c in classes}
            for s, f in (("train", train), ("valid", valid))}


def _drawn_split(root: Path, valid_share: float, g: torch.Generator) -> Files:
    """The images of each ``root/<class>``, ``valid_share`` of them drawn to validate.

    A class of one image keeps it for training; any larger class gives at least one.
    """
    files: Files = {"train": {}, "valid": {}}
    for c in (d.name for d in _class_dirs(root)):
        paths = _images_in(root / c)
        order = torch.randperm(len(paths), generator=g).tolist()
        n_valid = max(1, round(len(paths) * valid_share)) if len(paths) > 1 else 0
        files["valid"][c] = sorted(paths[i] for i in order[:n_valid])
        files["train"][c] = sorted(paths[i] for i in order[n_valid:])
    return files


def _at_most(paths: list[Path], most: int | None, g: torch.Generator) -> list[Path]:
    """``paths``, or ``most`` of them drawn with ``g`` (kept in order) if more."""
    if most is None or len(paths) <= most:
        return paths
    pick = torch.randperm(len(paths), generator=g)[:most].sort().values
    return [paths[i] for i in pick]


def _split_tensors(split: str, folder: Path, classes: list[str],
                   files: list[list[Path]], size: int,
                   root: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """One split's images and labels, from each class's files in ``folder / class``.

    Raises:
        ValueError: a class has no files, or none of them decodes; the message names it.
    """
    chunks, labels = [], []
    for label, (c, paths) in enumerate(zip(classes, files, strict=True)):
        if not paths:
            raise ValueError(f"class {c!r} has no {split} images under {root} "
                             f"(expected {LAYOUT}; extensions {', '.join(EXTENSIONS)})")
        imgs = _load(paths, size)
        if not imgs:
            raise ValueError(
                f"none of the {len(paths)} {split} image(s) of class {c!r} in "
                f"{folder / c} could be decoded (each was skipped with a warning "
                f"above), so the class would have no {split} images. Replace or "
                f"remove the damaged files, or remove the folder {folder / c} to "
                "leave the class out.")
        chunks += imgs
        labels += [label] * len(imgs)
    return torch.stack(chunks), torch.tensor(labels, dtype=torch.long)
