"""A classification task: what a :class:`~lecnotes.learner.Learner` trains a head on.

A :class:`Task` holds training and validation images with their labels, the class names and
the transform applied before the body. It knows nothing of where its images came from:
:func:`lecnotes.data.source_task` and :func:`lecnotes.data.target_task` make Fashion-MNIST
tasks, :func:`lecnotes.photos.photo_task` makes one from a folder of photos.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ._checks import labels_outside, listed

SPLITS: tuple[str, ...] = ("train", "valid")
"""The two splits of every task, by the names :meth:`Task.split` takes."""


@dataclass
class Task:
    """A classification task: training and validation images with labels ``0..C-1``.

    Attributes:
        name: a short name, e.g. ``"target"``.
        train_x, valid_x: the images, kept as bytes: ``uint8 [N, 28, 28]`` for Fashion-MNIST,
            ``uint8 [N, 3, H, W]`` for photos.
        train_y, valid_y: ``int64 [N]`` labels, renumbered to ``0..C-1``.
        classes: the class names, indexed by the renumbered label.
        transform: applied to a batch of images before it enters the body; its code and
            settings are part of the activation cache's key (:class:`~lecnotes.data.Normalize`
            for Fashion-MNIST, :class:`~lecnotes.photos.ImageNetNormalize` for photos).

    Raises:
        ValueError: images and labels of different lengths, labels that are not integers, or
            labels outside ``0..C-1``; the message names the task, the split and the labels.

    Example:
        >>> x = torch.zeros(4, 28, 28, dtype=torch.uint8)
        >>> task = Task("toy", x, torch.tensor([0, 1, 0, 1]), x[:2], torch.tensor([1, 0]), ("a", "b"), str)
        >>> task
        Task('toy': 4 training and 2 validation images, 2 classes: a, b)
    """

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    valid_x: torch.Tensor
    valid_y: torch.Tensor
    classes: tuple[str, ...]
    transform: Callable[[torch.Tensor], torch.Tensor]

    def __post_init__(self) -> None:
        for split in SPLITS:
            x, y = self.split(split)
            if len(x) != len(y):
                raise ValueError(f"Task {self.name!r}: {split}_x has {len(x)} images but {split}_y has "
                                 f"{len(y)} labels; give one label per image")
            if not isinstance(y, torch.Tensor) or y.dtype.is_floating_point or y.dtype.is_complex \
                    or y.dtype == torch.bool:
                raise ValueError(f"Task {self.name!r}: {split}_y must be a tensor of integer labels "
                                 f"0..{self.c - 1}, got {type(y).__name__} "
                                 f"{getattr(y, 'dtype', '')}".rstrip() + "; convert it with .long()")
            outside = labels_outside(y, self.c)
            if outside:
                raise ValueError(
                    f"Task {self.name!r}: {split}_y holds labels {listed(outside)}, outside 0..{self.c - 1} "
                    f"(one per class of {self.classes}). Renumber the labels to 0..{self.c - 1}, or "
                    "add the missing class names to classes."
                )

    @property
    def c(self) -> int:
        """Number of classes (fastai's ``data.c``)."""
        return len(self.classes)

    def split(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """The images and labels of one split.

        Args:
            split: ``"train"`` or ``"valid"``.

        Returns:
            ``(train_x, train_y)`` or ``(valid_x, valid_y)``, the task's own tensors (not copies).

        Raises:
            ValueError: ``split`` is neither; the message names both.

        Example:
            >>> x = torch.zeros(3, 28, 28, dtype=torch.uint8)
            >>> task = Task("toy", x, torch.tensor([0, 1, 0]), x[:1], torch.tensor([1]), ("a", "b"), str)
            >>> task.split("valid")[1]
            tensor([1])
            >>> task.split("test")
            Traceback (most recent call last):
            ...
            ValueError: split must be 'train' or 'valid', got 'test'
        """
        # isinstance first: ``in`` compares with ==, which is elementwise for an array or tensor
        if not isinstance(split, str) or split not in SPLITS:
            raise ValueError(f"split must be 'train' or 'valid', got {split!r}")
        if split == "train":
            return self.train_x, self.train_y
        return self.valid_x, self.valid_y

    def __repr__(self) -> str:
        return (f"Task({self.name!r}: {len(self.train_y)} training and {len(self.valid_y)} "
                f"validation images, {self.c} classes: {', '.join(self.classes)})")
