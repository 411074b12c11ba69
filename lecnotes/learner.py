"""The learner: a frozen pretrained body, concat pooling and a trainable head.

``Learner.pretrained(data, xtra_fc=..., ps=..., precompute=True)`` mirrors fastai 0.7's
``ConvLearner.pretrained(arch, data, ps=..., xtra_fc=..., precompute=True)``:

* ``precompute=True``: the body runs once over the training and validation images, its
  pooled activations are cached (see :mod:`lecnotes.precompute`), and each epoch trains
  only the head on those numbers;
* ``precompute=False``: every mini-batch goes through the frozen body again. The head
  learns the same thing, more slowly (data augmentation would need this path; the book
  uses none).

:class:`BodyFeatures` is the body's side (the features of a task's images),
:class:`Learner` adds the head and its training. Printing a learner shows its head, as
typing ``learn`` did in the lecture.
"""

from __future__ import annotations

import copy
import importlib.util
import math
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.adam import adam

from ._checks import (
    batch_size,
    env_switch,
    flag,
    folder,
    int_at_least,
    non_negative_number,
    positive_int,
    positive_number,
)
from ._checks import seed as check_seed
from .body import freeze, pretrained_body
from .head import custom_head, n_params
from .pooling import concat_pool
from .precompute import cached_activations
from .precompute import compute_activations as _body_activations
from .repro import isolated_rng
from .task import Task

CURVES = ("train_loss", "train_acc", "valid_loss", "valid_acc", "train_loss_eval", "train_acc_eval")
"""The curves of a :class:`History` (and of a :class:`~lecnotes.sweep.Sweep`), by name."""


@dataclass
class History:
    """Per-epoch record of a ``fit``: lists with one entry per epoch.

    Attributes:
        train_loss: mean training loss over the epoch's mini-batches, in train mode
            (dropout on), each computed with the weights of that moment (what fastai
            reports).
        valid_loss, valid_acc: loss and accuracy on the validation set at the end of the
            epoch, in eval mode (dropout off).
        train_acc: accuracy over the epoch's mini-batches, measured like ``train_loss``:
            dropout on, the weights of each moment (the running figure a training loop
            prints).
        train_loss_eval, train_acc_eval: loss and accuracy on the whole training set at
            the end of the epoch in eval mode (dropout off), recorded only when
            ``fit(..., eval_train=True)``.
    """

    train_loss: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    valid_acc: list[float] = field(default_factory=list)
    train_loss_eval: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    train_acc_eval: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.train_loss)

    def add_epoch(self, train: tuple[float, float], valid: tuple[float, float],
                  train_eval: tuple[float, float] | None = None) -> None:
        """Record one epoch: ``(loss, accuracy)`` pairs, ``train_eval`` when measured.

        Example:
            >>> h = History()
            >>> h.add_epoch((0.9, 0.6), (0.8, 0.7))
            >>> len(h), h.valid_acc, h.train_acc_eval
            (1, [0.7], [])
        """
        for name, value in zip(CURVES, (*train, *valid, *(train_eval or ())), strict=False):
            getattr(self, name).append(value)

    def table(self, digits: int = 3) -> str:
        """The history as a fixed-width text table, rounded to ``digits`` (an integer >= 0)."""
        digits = int_at_least(digits, "digits", 0, "decimals shown")
        head = f"{'epoch':>5} {'train_loss':>10} {'valid_loss':>10} {'valid_acc':>9}"
        rows = zip(self.train_loss, self.valid_loss, self.valid_acc, strict=True)
        return "\n".join([head] + [
            f"{i + 1:>5} {t:>10.{digits}f} {v:>10.{digits}f} {a:>9.{digits}f}"
            for i, (t, v, a) in enumerate(rows)
        ])


def _show_progress(progress: bool | None) -> bool:
    if progress is None:
        progress = env_switch("LECNOTES_PROGRESS", "no progress bar", "a progress bar during fit",
                              "a bar only when run interactively, the default")
    return ("ipykernel" in sys.modules or sys.stderr.isatty()) if progress is None else progress


def _epochs(n: int, progress: bool | None) -> Iterable[int]:
    """``range(n)`` through tqdm, whose bar shows only when :func:`_show_progress` says so.

    tqdm's widget bar where ipywidgets is installed, else its text bar: ``tqdm.auto``
    alone would warn on every kernel without ipywidgets before falling back to the text
    bar.
    """
    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm
    return tqdm(range(n), desc="epoch", leave=False, disable=not _show_progress(progress))


def pick_device(prefer: str | None = None) -> torch.device:
    """The device a :class:`Learner` should run on: CUDA, else Apple's MPS, else CPU.

    A :class:`Learner` runs on the CPU unless given one: ``Learner(...,
    device=pick_device())``.

    Args:
        prefer: a device to use instead of choosing (``"cpu"``, ``"cuda"``,
            ``"cuda:1"``...).

    Example:
        >>> pick_device("cpu")
        device(type='cpu')
    """
    if prefer is not None:
        return _device(prefer, "prefer")
    return next(torch.device(kind) for kind in ("cuda", "mps", "cpu") if _has(kind))


def _has(kind: str) -> bool:
    """Whether this machine has a device of ``kind`` that torch can use."""
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        return torch.backends.mps.is_available()
    return True


class BodyFeatures:
    """A frozen body with concat pooling, and the features it gives a task's images.

    The features of a split are computed on first use or read from ``cache_dir`` (see
    :mod:`lecnotes.precompute`), then kept while the task, its transform and its images
    stay the same: a new task (``learn.data = ...``), another transform or tensor, or
    images edited in place (``task.train_x[:] = ...``) mean they are computed (or read)
    again.

    Args:
        body: the pretrained body; it is frozen (no gradients) and kept in eval mode.
        data: the task whose images it takes.
        cache_dir: where activations are cached (default
            ``~/.cache/lecnotes/activations``); if it cannot be used the activations are
            computed in memory, with one warning.
        device: where the body runs (``"cpu"``, ``"cuda"``, ``"mps"``; default the CPU);
            :func:`pick_device` chooses the fastest there is. Features live on the CPU.
    """

    def __init__(self, body: nn.Module, data: Task, cache_dir: str | Path | None = None,
                 device: torch.device | str | None = None) -> None:
        _check_task(data)
        if not isinstance(body, nn.Module):
            raise TypeError(f"body must be a torch.nn.Module (for example pretrained_body()), "
                            f"got {body!r}")
        self.cache_dir = None if cache_dir is None else folder(cache_dir, "cache_dir")
        self.device = _device(device)
        self.body = freeze(body).to(self.device)
        self.pool = concat_pool()
        self._data = data
        self._kept: dict[str, tuple] = {}
        self.cache_hits: dict[str, bool] = {}
        self._warned: set[str] = set()  # warnings shown: one per cause, not per split
        self.n_features = int(self._probe().shape[1])

    @property
    def data(self) -> Task:
        """The task; setting another one drops the features kept for the old one."""
        return self._data

    @data.setter
    def data(self, task: Task) -> None:
        self._check_new_task(task)
        self._data = task
        self._kept.clear()

    def _check_new_task(self, task: Task) -> None:
        _check_task(task)

    def _probe(self) -> torch.Tensor:
        """The features of two training images: checks that the body takes them."""
        x = self.data.train_x
        try:
            return self.compute_activations(x[:2])
        except RuntimeError as exc:
            raise ValueError(
                f"the body cannot take data's images (task {self.data.name!r}: "
                f"{str(x.dtype).replace('torch.', '')} {list(x.shape[1:])} each, "
                f"then its transform): {exc}. Give the body images of the kind it was "
                "trained on (Fashion-MNIST: uint8 [N, 28, 28])") from None

    def compute_activations(self, images: torch.Tensor) -> torch.Tensor:
        """Pooled body activations ``[N, n_features]`` of any images, computed now.

        Never cached; the same numbers :meth:`activations` keeps for a whole split.

        Raises:
            TypeError: ``images`` is not a tensor.
            ValueError: no images, or images not shaped like the task's (one image alone
                needs its batch dimension: ``images[None]``).
        """
        _check_images(images, self.data.train_x)
        return _body_activations(nn.Sequential(self.body, self.pool), images,
                                 self.data.transform, device=self.device)

    def activations(self, split: str) -> torch.Tensor:
        """Pooled body activations of a split's images (``"train"``, ``"valid"``...).

        Shape: ``[N, n_features]``: what :meth:`compute_activations` gives for the
        split's images, kept as the class says.
        """
        images, _ = self.data.split(split)  # checks split, before it is used as a key
        transform, content = self.data.transform, _content(images)
        kept = self._kept.get(split)
        if kept is None or kept[0] is not transform or kept[1] != content:
            feats, self.cache_hits[split] = cached_activations(
                nn.Sequential(self.body, self.pool), images, transform, self.cache_dir,
                self.device, warned=self._warned)
            self._kept[split] = (transform, content, feats)
        return self._kept[split][2]

    def _features(self, split: str, kept: bool) -> tuple[Callable, torch.Tensor]:
        """A split's features by image index (kept, or computed now) and its labels."""
        images, labels = self.data.split(split)
        if kept:
            feats = self.activations(split)
            return (lambda idx: feats[idx].to(self.device)), labels.to(self.device)
        return (lambda idx: self.compute_activations(images[idx]).to(self.device),
                labels.to(self.device))


class Learner(BodyFeatures):
    """A frozen body, concat pooling and a head, trained on a :class:`~.task.Task`.

    Args:
        body, data, cache_dir, device: the frozen body and the task, as for
            :class:`BodyFeatures`; the head runs on ``device`` too.
        head: a ready head; default ``custom_head(n_features, data.c, xtra_fc, ps)``.
        xtra_fc, ps: passed to :func:`~lecnotes.head.custom_head` when ``head`` is None.
        precompute: train the head on cached body activations (True) or run every
            mini-batch through the body (False).
        bs: mini-batch size, at least 2 for the head's BatchNorm1d (a last mini-batch of
            one, left over by the training set's size, is skipped).
        seed: seeds the head's initial weights, the shuffling and the dropout masks,
            from a random state of the learner's own that other cells cannot change.
        progress: show a tqdm bar during ``fit``; default: only when run interactively
            and ``$LECNOTES_PROGRESS`` is not ``0``.

    Numbers and flags may be Python's or numpy's. A wrong argument, or a task with fewer
    than 2 training images or none for validation, is a ValueError or TypeError naming
    it; ``bs``, ``precompute`` and ``progress`` are checked again whenever they are set.

    Example:
        >>> from lecnotes.data import target_task
        >>> learn = Learner.pretrained(target_task(), xtra_fc=[512], ps=[0.25, 0.5])
        >>> hist = learn.fit(3, 1e-3)
        >>> len(hist.valid_loss), hist.valid_acc[-1] > 0.7
        (3, True)
    """

    _SETTINGS = {  # checked whenever set
        "bs": batch_size,
        "precompute": partial(flag, name="precompute", meaning="train on cached body activations, "
                              "or run every mini-batch through the body"),
        "progress": lambda value: value if value is None else flag(
            value, "progress", "show a progress bar during fit; None: only when run interactively"),
    }

    def __setattr__(self, name: str, value: object) -> None:
        check = self._SETTINGS.get(name)
        super().__setattr__(name, value if check is None else check(value))

    def __init__(self, body: nn.Module, data: Task, head: nn.Module | None = None,
                 xtra_fc: list[int] | None = None, ps: float | list | None = None,
                 precompute: bool = True, bs: int = 64, seed: int = 0,
                 cache_dir: str | Path | None = None, progress: bool | None = None,
                 device: torch.device | str | None = None) -> None:
        self.bs, self.precompute, self.progress = bs, precompute, progress
        seed = check_seed(seed)
        _check_head_arguments(head, xtra_fc, ps)
        super().__init__(body, data, cache_dir, device)
        self._rng = _Rng(self.device, seed)
        if head is None:
            with self._rng.own():
                head = custom_head(self.n_features, data.c, xtra_fc, ps)
        else:
            _check_head(head, self._probe().to(self.device), data.c)
        self.head = head.to(self.device)
        self._adam = _Adam(self.head)
        self.history = History()

    def _check_new_task(self, task: Task) -> None:
        _check_task(task)
        if task.c != self.data.c:
            raise ValueError(f"data has {task.c} classes, but the head was built for {self.data.c} "
                             f"(task {self.data.name!r}): build a new Learner for task {task.name!r}")

    @classmethod
    def pretrained(cls, data: Task, xtra_fc: list[int] | None = None,
                   ps: float | list[float] | None = None, precompute: bool = True,
                   weights: str | Path | None = None, **kwargs: object) -> Learner:
        """A learner on a shipped pretrained body (fastai's ``ConvLearner.pretrained``).

        ``weights`` is ``"small"`` (the default), ``"big"``, or a weights file with its
        recipe beside it (see :func:`~lecnotes.body.pretrained_body`); the other
        arguments are :class:`Learner`'s.
        """
        _check_task(data)  # before the body is loaded
        return cls(pretrained_body(weights), data, xtra_fc=xtra_fc, ps=ps,
                   precompute=precompute, **kwargs)  # type: ignore[arg-type]

    @property
    def model(self) -> nn.Sequential:
        """Body, concat pooling and head: ``[N, 1, 28, 28]`` to ``[N, C]``."""
        return nn.Sequential(self.body, self.pool, self.head)

    def __repr__(self) -> str:
        return repr(self.head)

    def summary(self) -> str:
        """Parameter counts: body (frozen), head (trainable)."""
        return "\n".join(
            f"{name}: {n_params(m):,} parameters, {n_params(m, True):,} trainable"
            for name, m in (("body", self.body), ("head", self.head)))

    def evaluate(self, split: str = "valid", mode: str = "eval") -> tuple[float, float]:
        """``(mean loss, accuracy)`` of the head on a whole split, as floats.

        Args:
            split: ``"valid"``, ``"train"`` or, for a task with one, ``"test"``.
            mode: ``"eval"`` (dropout off, BatchNorm's running statistics) or
                ``"train"`` (dropout on, batch statistics; uses and advances the
                learner's random state).

        Raises:
            ValueError: ``split`` or ``mode`` is none of the allowed values.
            FloatingPointError: the loss is nan or infinite (a ``fit`` blew the weights up).
        """
        if mode not in ("eval", "train"):
            raise ValueError(f"mode must be 'eval' or 'train', got {mode!r}")
        inputs, y = self._features(split, self.precompute)
        # a copy in train mode, so BatchNorm's running statistics of the real head never move
        head = copy.deepcopy(self.head).train() if mode == "train" else self.head.eval()
        with self._rng.own():
            return _scores(head, inputs, y, refuse=(f"{split} loss", None, None))

    def fit(self, epochs: int, lr: float, eval_train: bool = False,
            wd: float = 0.0) -> History:
        """Train the head with Adam for ``epochs`` passes; returns the learner's :class:`History`.

        Calls add up: the history grows and Adam keeps its moment estimates from one
        call to the next, unless ``lr`` or ``wd`` changed, which starts Adam afresh.

        Args:
            epochs, lr: number of epochs (at least 1), learning rate (finite, above 0).
            eval_train: also record eval-mode loss and accuracy on the whole training set.
            wd: weight decay (L2 penalty), a finite number >= 0; default 0.

        Raises:
            ValueError: an argument of the wrong kind or range; nothing is trained.
            FloatingPointError: a loss became nan or infinite (usually ``lr`` or ``wd``
                far too large); that epoch is not recorded, the epochs before it are.
        """
        epochs = positive_int(  # type: ignore[assignment]
            epochs, "epochs", "passes over the training set")
        lr = positive_number(lr, "lr", "the learning rate")
        wd = non_negative_number(wd, "wd", "the weight decay")
        eval_train = flag(eval_train, "eval_train", "also score the whole training set after "
                          "every epoch, dropout off")
        self._adam = adam = _ready_adam(self, lr, wd)
        train = self._features("train", self.precompute)
        scored = [(*self._features(split, self.precompute), what)
                  for split, what in _SCORED[: 1 + eval_train]]
        try:
            for _ in _epochs(epochs, self.progress):
                epoch = len(self.history) + 1
                self.history.add_epoch(*_epoch(self.head, adam, self._rng, self.bs,
                                               epoch, train, scored))
        finally:
            self.head.eval()
        return self.history


def _ready_adam(learn: Learner, lr: float, wd: float) -> _Adam:
    """The Adam for ``learn.fit`` with ``lr`` and ``wd``: the learner's own while it steps
    the head's parameters, a new one for a new head.

    ``learn.head = custom_head(...)`` would otherwise train nothing: the optimiser would
    keep stepping the old head's parameters. The new head is checked first.
    """
    head, adam = learn.head, learn._adam
    if not isinstance(head, nn.Module):
        raise TypeError(f"learn.head must be a torch.nn.Module (for example "
                        f"custom_head(...)), got {head!r}")
    if list(map(id, _trainable(head))) != list(map(id, adam.params)):
        _check_head(head, learn._probe().to(learn.device), learn.data.c)
        adam = _Adam(head.to(learn.device))
    if not adam.params:
        raise ValueError("learn.head has no trainable parameters (every one has "
                         "requires_grad=False), so fit would train nothing: unfreeze "
                         "them (learn.head.requires_grad_(True)) or build a new head")
    adam.use(lr, wd)
    return adam


_SCORED = (("valid", "validation loss"), ("train", "training loss (eval mode)"))
"""What ``fit`` scores each epoch: the validation set, the training set if asked."""


def _epoch(head: nn.Module, adam: _Adam, rng: _Rng, bs: int, epoch: int,
           train: tuple[Callable, torch.Tensor],
           scored: list[tuple[Callable, torch.Tensor, str]]) -> list[tuple]:
    """Train ``head`` an epoch, then score it: ``[(loss, accuracy)]``, training first.

    ``train`` gives the training features (by image index) and labels; one Adam step per
    mini-batch of the shuffled set, dropout on. Each of ``scored``, features, labels
    and what its loss is called, is then scored in eval mode. A loss that blew up is an
    error.
    """
    inputs, y = train
    order = torch.randperm(len(y), generator=rng.shuffle)
    total, correct, seen = 0.0, 0, 0
    with rng.own():
        head.train()
        for i in range(0, len(y), bs):
            idx = order[i : i + bs]
            if len(idx) == 1:
                continue  # BatchNorm1d cannot train on a batch of one
            out = head(inputs(idx))
            loss = F.nll_loss(out, y[idx])
            value = loss.item()
            _check_loss(value, "training loss", epoch, adam.hyper)
            adam.step(loss)
            total += value * len(idx)
            correct += int((out.argmax(1) == y[idx]).sum())
            seen += len(idx)
        return [(total / seen, correct / seen)] + [
            _scores(head.eval(), x, labels, refuse=(what, epoch, adam.hyper))
            for x, labels, what in scored]


class _Rng:
    """A random state of its own: the CPU's, on a GPU its device's, the shuffle's."""

    def __init__(self, device: torch.device, seed: int) -> None:
        self.device = device
        self.shuffle = torch.Generator().manual_seed(seed)
        with self.own(seed):
            pass

    @contextmanager
    def own(self, seed: int | None = None) -> Iterator[None]:
        """Draw from this state inside the block (seeded afresh with ``seed`` if given).

        Torch's own state is left as it was (:func:`~lecnotes.repro.isolated_rng`); when
        the block ends, also through an exception, this state is kept for the next
        block, so no draw is ever made twice.
        """
        cuda = self.device.type == "cuda"
        with isolated_rng():
            if seed is not None:
                torch.manual_seed(seed)  # the CPU and every GPU
            else:
                torch.set_rng_state(self.states[0])
                if cuda:
                    torch.cuda.set_rng_state(self.states[1], self.device)
            try:
                yield
            finally:
                self.states = (torch.get_rng_state(),
                               torch.cuda.get_rng_state(self.device) if cuda else None)


class _Adam:
    """Adam for a head's trainable parameters, its moments kept from one ``fit`` to the next.

    Each step is PyTorch's own update, ``torch.optim.adam.adam``: the function that
    ``torch.optim.Adam.step`` calls, here given the state that ``torch.optim.Adam`` would
    keep (a step count and two moments per parameter), so training matches it to the bit
    (tests/test_learner.py compares the two). Why not build a ``torch.optim.Adam``:
    building any torch optimiser imports torch's compiler, about 1.5 s on 2 cores, which
    every graded notebook that trains would pay for nothing.

    A changed lr or weight decay clears the state: exactly a newly built Adam, as
    :meth:`Learner.fit` promises.
    """

    def __init__(self, head: nn.Module) -> None:
        self.params = _trainable(head)
        self.hyper: tuple[float, float] | None = None  # (lr, wd) of the last fit
        self.state: dict[nn.Parameter, tuple[torch.Tensor, ...]] = {}  # step, 2 moments

    def use(self, lr: float, wd: float) -> None:
        if self.hyper != (lr, wd):
            self.state.clear()
            self.hyper = (lr, wd)

    def step(self, loss: torch.Tensor) -> None:
        for p in self.params:
            p.grad = None
        loss.backward()
        live = [p for p in self.params if p.grad is not None]
        for p in live:
            if p not in self.state:  # the step count lives on the CPU, as torch.optim's does
                self.state[p] = (torch.tensor(0.0), torch.zeros_like(p), torch.zeros_like(p))
        steps, avgs, squares = (list(t) for t in zip(*map(self.state.get, live), strict=True))
        lr, wd = self.hyper
        with torch.no_grad():
            adam(live, [p.grad for p in live], avgs, squares, [], steps, amsgrad=False,
                 beta1=0.9, beta2=0.999, lr=lr, weight_decay=wd, eps=1e-8, maximize=False)


def _trainable(head: nn.Module) -> list[nn.Parameter]:
    return [p for p in head.parameters() if p.requires_grad]


@torch.no_grad()
def _scores(head: nn.Module, inputs: Callable[[torch.Tensor], torch.Tensor],
            y: torch.Tensor, refuse: tuple) -> tuple[float, float]:
    """Mean loss and accuracy of ``head`` on ``inputs(idx)``, labels ``y``, 1000 a time.

    A loss that blew up is an error naming ``refuse``, ``(what, epoch, (lr, wd))``.
    """
    total_loss, correct = 0.0, 0
    for i in range(0, len(y), 1000):
        idx = torch.arange(i, min(i + 1000, len(y)))
        out = head(inputs(idx))
        total_loss += F.nll_loss(out, y[idx], reduction="sum").item()
        correct += int((out.argmax(1) == y[idx]).sum())
    _check_loss(total_loss / len(y), *refuse)
    return total_loss / len(y), correct / len(y)


def _check_loss(value: float, what: str, epoch: int | None,
                hyper: tuple | None) -> None:
    """Refuse a loss that is nan or infinite: the head's weights blew up.

    The message names the epoch and ``hyper``, ``(lr, wd)``, of the fit where it
    happened, or, for a score outside any fit (``epoch`` None), says what the numbers
    are worth.
    """
    if not math.isfinite(value) and epoch is None:
        raise FloatingPointError(
            f"the {what} is {value}: the head's weights are no longer usable numbers "
            "(a fit with far too large an lr or wd blew them up), so its accuracy "
            "means nothing. Build a new Learner and train it with a smaller lr (the "
            "book uses 1e-3).")
    if not math.isfinite(value):
        lr, wd = hyper  # type: ignore[misc]
        raise FloatingPointError(
            f"the {what} became {value} in epoch {epoch} (lr={lr}, wd={wd}): the "
            "head's weights are no longer usable numbers, usually because lr or wd is "
            f"far too large. Epoch {epoch} is not recorded in the history. Build a new "
            "Learner (this head is spoiled) and train it with a smaller lr (the book "
            "uses 1e-3) or wd.")


def _content(images: torch.Tensor) -> tuple:
    """Shape, dtype and a CRC-32 of the bytes: any edit, in place too, changes them.

    A CRC-32 costs about a millisecond for 4 MB of images, so it is taken at every use.
    """
    data = images.detach().cpu().contiguous().numpy()
    return images.shape, images.dtype, zlib.crc32(data)


def _check_task(data: Task) -> None:
    """A task the learner can train on: 2 or more training images and some validation images."""
    if not isinstance(data, Task):
        raise TypeError(f"data must be a Task (for example lecnotes.target_task()), "
                        f"got {data!r}")
    n_train = len(data.train_y)
    if n_train < 2:
        raise ValueError(
            f"task {data.name!r} has {n_train} training image(s); training needs at least 2 "
            "(the head's BatchNorm1d computes statistics over a mini-batch): give the "
            "task more training images")
    if len(data.valid_y) == 0:
        raise ValueError(
            f"task {data.name!r} has no validation images (valid_x and valid_y are empty); "
            "fit scores the head on them after every epoch: give the task some "
            "validation images")


def _device(device: object, name: str = "device") -> torch.device:
    """``device`` as a ``torch.device`` this machine has (default the CPU), or a named error."""
    if device is None:
        return torch.device("cpu")
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"{name} must be a str or torch.device ('cpu', 'cuda', 'mps'), "
                        f"or None for the CPU, got {device!r}")
    try:
        chosen = torch.device(device)
    except RuntimeError:
        raise ValueError(f"{name} must be a device torch knows ('cpu', 'cuda', 'cuda:1', "
                         f"'mps'), got {device!r}") from None
    if not _has(chosen.type):
        raise ValueError(f"{name} is {device!r}, but this machine has no "
                         f"{chosen.type.upper()} device torch can use: leave device out "
                         "for the CPU, or use pick_device(), which chooses the fastest there is")
    return chosen


def _check_images(images: object, like: torch.Tensor) -> None:
    """Images that can go through the body: a non-empty batch shaped like the task's."""
    each = ", ".join(map(str, like.shape[1:]))
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a tensor of images shaped like the task's, "
                        f"[N, {each}], got {type(images).__name__}")
    if images.device != like.device:
        raise ValueError(f"images must be on {like.device}, as the task's images are, got "
                         f"{images.device}")
    if images.dtype != like.dtype:
        raise ValueError(f"images must be {like.dtype} like the task's images (the "
                         f"transform expects them), got {images.dtype}")
    if images.shape[1:] != like.shape[1:]:
        single = images.shape == like.shape[1:]
        raise ValueError(
            f"images must be a batch shaped like the task's images, [N, {each}], got shape "
            f"{list(images.shape)}"
            + ("; for one image, add the batch dimension: images[None]" if single else ""))
    if len(images) == 0:
        raise ValueError("images must hold at least one image, got an empty batch "
                         f"{list(images.shape)}")


def _check_head_arguments(head: object, xtra_fc: object, ps: object) -> None:
    """A given head is a module, without ``xtra_fc`` and ``ps`` (it ignores them)."""
    if head is None:
        return
    if not isinstance(head, nn.Module):
        raise TypeError(f"head must be a torch.nn.Module (for example "
                        f"custom_head(...)) or None, got {head!r}")
    given = [f"{k}={v!r}" for k, v in (("xtra_fc", xtra_fc), ("ps", ps))
             if v is not None]
    if given:
        raise ValueError(
            f"head= is given together with {' and '.join(given)}, which only "
            "shape the default head: build the head with them (custom_head("
            "n_features, n_classes, xtra_fc, ps)), or leave head out")


def _check_head(head: nn.Module, features: torch.Tensor, n_classes: int) -> None:
    """A head that maps the features to log-probabilities of the task's classes.

    Tried in eval mode on a few features, without gradients; each layer's mode is
    restored.
    """
    modes = [(m, m.training) for m in head.modules()]
    try:
        with torch.no_grad():
            out = head.eval()(features)
    except RuntimeError as exc:
        raise ValueError(f"head cannot take the body's features, shaped "
                         f"[N, {features.shape[1]}] (n_features): {exc}") from None
    finally:
        for m, training in modes:
            m.training = training
    if not isinstance(out, torch.Tensor) or out.shape != (len(features), n_classes):
        shape = list(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"head must map [N, {features.shape[1]}] features to "
                         f"[N, {n_classes}] log-probabilities (one per class of the task), "
                         f"got {shape}")
    total = out.double().logsumexp(1)
    if not bool(torch.allclose(total, torch.zeros_like(total), atol=1e-3)):
        raise ValueError(
            "head must output log-probabilities, as custom_head does by ending in "
            "nn.LogSoftmax(dim=1); its outputs' exp sums to "
            f"{total.exp().tolist()} per image instead of 1 (the loss would be "
            "meaningless). Add nn.LogSoftmax(dim=1) as its last layer.")
