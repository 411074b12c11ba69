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

    The lecture's task: the 37 breeds folded into two classes (torchvision's
    ``binary-category``). Creates ``root/pets-catsdogs/{train,valid}/{cat,dog}/`` with links to
    the downloaded photos (``trainval`` split for training, ``test`` for validation) and
    returns that folder. Needs internet the first time (about 800 MB); after that the photos
    and the links already there are reused.

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
    from torchvision.datasets import OxfordIIITPet

    for split, name in (("trainval", "train"), ("test", "valid")):
        try:
            ds = OxfordIIITPet(str(root), split=split, target_types="binary-category", download=True)
        except Exception as exc:
            raise RuntimeError(f"could not download Oxford-IIIT Pet into {root} ({exc}); with no "
                               "internet, use any photo folder laid out as root/<class>/<image>") from exc
        # _images and _bin_labels are torchvision's own lists (no public accessor gives the
        # paths without decoding every photo); the test pins what this code expects of them
        for path, label in zip(ds._images, ds._bin_labels, strict=True):
            dest = out / name / ("cat", "dog")[label] / Path(path).name
            dest.parent.mkdir(parents=True, exist_ok=True)
            if not dest.exists():
                os.symlink(Path(path).resolve(), dest)
    return out
