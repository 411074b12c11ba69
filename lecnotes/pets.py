"""Oxford-IIIT Pet, downloaded by torchvision and laid out as the lecture's cats versus dogs.

The lecture trained on fastai's ``dogscats`` folder; Oxford-IIIT Pet (Parkhi, Vedaldi,
Zisserman and Jawahar, 2012) is a public set of the same kind that torchvision can download.
:func:`oxford_pets_folder` folds its 37 breeds into two classes and lays the photos out as a
folder that :func:`lecnotes.photos.photo_task` reads.
"""

from __future__ import annotations

import os
from pathlib import Path

from ._checks import folder


def oxford_pets_folder(root: str | Path) -> Path:
    """Fetch Oxford-IIIT Pet with torchvision and lay it out as cats versus dogs.

    The lecture's task: the 37 breeds folded into their two species. The photos are
    linked, not copied: ``trainval`` for training, ``test`` for validation. Needs
    internet the first time (about 800 MB); after that the photos and the links
    already there are reused.

    Args:
        root: the folder torchvision downloads into (``~`` is expanded); the book uses
            :func:`lecnotes.folders.user_cache_dir` ``("pets")``.

    Returns:
        ``root/pets-catsdogs``, laid out as ``train/<class>/`` and ``valid/<class>/``.

    Raises:
        RuntimeError: the download failed (no internet, say); the message names ``root`` and
            says that any photo folder will do instead.

    Example:
        >>> from lecnotes.folders import user_cache_dir
        >>> folder = oxford_pets_folder(user_cache_dir("pets"))  # doctest: +SKIP
        >>> sorted(p.name for p in (folder / "train").iterdir())  # doctest: +SKIP
        ['cat', 'dog']
    """
    root = folder(root, "root")  # before the (slow) torchvision import and download
    out = root / "pets-catsdogs"
    for split, name in (("trainval", "train"), ("test", "valid")):
        _download(root, split)
        for photo, species in _species(root / "oxford-iiit-pet", split):
            dest = out / name / species / photo.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            if not dest.exists():
                os.symlink(photo.resolve(), dest)
    return out


def _download(root: Path, split: str) -> None:
    """Have torchvision download one split of Oxford-IIIT Pet (or find it there)."""
    from torchvision.datasets import OxfordIIITPet

    try:
        OxfordIIITPet(str(root), split=split, download=True)
    except Exception as exc:
        raise RuntimeError(
            f"could not download Oxford-IIIT Pet into {root} ({exc}); with no "
            "internet, use any photo folder laid out as root/<class>/<image>") from exc


def _species(base: Path, split: str) -> list[tuple[Path, str]]:
    """Each photo of a split with its species, ``"cat"`` or ``"dog"``.

    Read from the dataset's own list, ``annotations/<split>.txt``, whose lines are
    ``<image> <breed id> <species> <breed number>``, species 1 for a cat and 2 for
    a dog; the photo is ``images/<image>.jpg``.
    """
    lines = (base / "annotations" / f"{split}.txt").read_text().splitlines()
    rows = [line.split() for line in lines if line.strip() and not line.startswith("#")]
    return [(base / "images" / f"{r[0]}.jpg", ("cat", "dog")[int(r[2]) - 1])
            for r in rows]
