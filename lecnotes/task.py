"""A classification task: what a :class:`~lecnotes.learner.Learner` trains a head on.

A :class:`Task` holds training and validation images with their labels, optionally a test
split kept apart for reporting, the class names and the transform applied before the body.
It knows nothing of where its images came from:
:func:`lecnotes.data.source_task` and :func:`lecnotes.data.target_task` make Fashion-MNIST
tasks, :func:`lecnotes.photos.photo_task` makes one from a folder of photos.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ._checks import labels_outside, listed, names

SPLITS: tuple[str, ...] = ("train", "valid", "test")
"""The splits a task may have, by the names :meth:`Task.split` takes (``"test"`` is optional)."""


@dataclass
class Task:
    """A classification task: training, validation and (optionally) test images, labels ``0..C-1``.

    The validation images are for choosing (p, the stopping epoch); the test images, when the
    task has them, are looked at once, to report what was chosen.

    Attributes:
        name: a short name, e.g. ``"target"``.
        train_x, valid_x: the images, kept as bytes: ``uint8 [N, 28, 28]`` for Fashion-MNIST,
            ``uint8 [N, 3, H, W]`` for photos.
        train_y, valid_y: ``int64 [N]`` labels, renumbered to ``0..C-1``.
        classes: the class names, indexed by the renumbered label.
        transform: applied to a batch of images before it enters the body
            (:class:`~lecnotes.data.Normalize` for Fashion-MNIST,
            :class:`~lecnotes.photos.ImageNetNormalize` for photos). A dataclass or module
            transform is part of the activation cache's key (its class's code and its
            fields); any other callable is computed without the cache, with one warning.
        test_x, test_y: the test images and labels, or ``None`` (both) for a task without a
            test split.

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
    test_x: torch.Tensor | None = None
    test_y: torch.Tensor | None = None

    def __post_init__(self) -> None:
        self.classes = names(self.classes, "classes", "one name per class")
        if self.c < 2:
            raise ValueError(f"Task {self.name!r}: classes must name at least 2 classes (with one, "
                             f"every prediction is right and nothing is learned), got {self.classes!r}")
        if not callable(self.transform):
            raise TypeError(f"Task {self.name!r}: transform must be callable (applied to a batch of "
                            f"images before the body, e.g. lecnotes.data.Normalize()), got "
                            f"{self.transform!r}")
        if (self.test_x is None) != (self.test_y is None):
            raise ValueError(f"Task {self.name!r}: give both test_x and test_y, or neither")
        for split in self.splits:
            x, y = self.split(split)
            self._check_images(split, x)
            if not isinstance(y, torch.Tensor) or y.dtype != torch.int64 or y.dim() != 1:
                got = f"{type(y).__name__} {getattr(y, 'dtype', '')} {list(getattr(y, 'shape', []))}"
                raise ValueError(f"Task {self.name!r}: {split}_y must be a tensor of integer labels "
                                 f"0..{self.c - 1}, int64 [N], got {got}; convert it with "
                                 "torch.as_tensor(y).long().flatten()")
            if len(x) != len(y):
                raise ValueError(f"Task {self.name!r}: {split}_x has {len(x)} images but {split}_y has "
                                 f"{len(y)} labels; give one label per image")
            outside = labels_outside(y, self.c)
            if outside:
                raise ValueError(
                    f"Task {self.name!r}: {split}_y holds labels {listed(outside)}, outside 0..{self.c - 1} "
                    f"(one per class of {self.classes}). Renumber the labels to 0..{self.c - 1}, or "
                    "add the missing class names to classes."
                )

    def _check_images(self, split: str, x: object) -> None:
        """Images kept as bytes, ``uint8 [N, H, W]`` or ``[N, C, H, W]``, shaped as the training ones."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"Task {self.name!r}: {split}_x must be a torch tensor of uint8 images, got "
                            f"{type(x).__name__}; convert it with torch.as_tensor(...)")
        if x.dtype != torch.uint8:
            raise ValueError(
                f"Task {self.name!r}: {split}_x must hold uint8 pixel values 0..255 (the transform "
                f"divides them by 255), got {x.dtype}. Images already scaled to [0, 1] would be "
                "scaled twice: convert them with (x * 255).round().to(torch.uint8)")
        if x.dim() not in (3, 4) or x.shape[1:] != self.train_x.shape[1:]:
            raise ValueError(f"Task {self.name!r}: {split}_x must be images [N, H, W] or [N, C, H, W], "
                             f"each shaped like the training images {list(self.train_x.shape[1:])}, "
                             f"got {list(x.shape)}")

    @property
    def c(self) -> int:
        """Number of classes (fastai's ``data.c``)."""
        return len(self.classes)

    @property
    def splits(self) -> tuple[str, ...]:
        """The task's splits: ``("train", "valid")``, and ``"test"`` when it has one."""
        return SPLITS if self.test_y is not None else SPLITS[:2]

    def split(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """The images and labels of one split.

        Args:
            split: ``"train"``, ``"valid"`` or, for a task with a test split, ``"test"``.

        Returns:
            ``(x, y)`` of that split, the task's own tensors (not copies).

        Raises:
            ValueError: ``split`` is none of the task's splits; the message names them.

        Example:
            >>> x = torch.zeros(3, 28, 28, dtype=torch.uint8)
            >>> task = Task("toy", x, torch.tensor([0, 1, 0]), x[:1], torch.tensor([1]), ("a", "b"), str)
            >>> task.split("valid")[1]
            tensor([1])
            >>> task.split("test")
            Traceback (most recent call last):
            ...
            ValueError: split must be 'train' or 'valid' (task 'toy' has no test split), got 'test'
        """
        # isinstance first: ``in`` compares with ==, which is elementwise for an array or tensor
        if not isinstance(split, str) or split not in self.splits:
            names = [repr(s) for s in self.splits]
            allowed = f"{', '.join(names[:-1])} or {names[-1]}"
            missing = "" if self.test_y is not None else f" (task {self.name!r} has no test split)"
            raise ValueError(f"split must be {allowed}{missing}, got {split!r}")
        return getattr(self, f"{split}_x"), getattr(self, f"{split}_y")

    def __repr__(self) -> str:
        counts = [f"{len(self.train_y)} training", f"{len(self.valid_y)} validation"]
        if self.test_y is not None:
            counts = [", ".join(counts), f"{len(self.test_y)} test"]
        return (f"Task({self.name!r}: {' and '.join(counts)} images, {self.c} classes: "
                f"{', '.join(self.classes)})")
