"""The learner: a frozen pretrained body, concat pooling and a trainable head.

``Learner.pretrained(data, xtra_fc=..., ps=..., precompute=True)`` mirrors fastai 0.7's
``ConvLearner.pretrained(arch, data, ps=..., xtra_fc=..., precompute=True)``:

* ``precompute=True``: the body runs once over the training and validation images, its
  pooled activations are cached (see :mod:`lecnotes.precompute`), and each epoch trains only
  the head on those numbers;
* ``precompute=False``: every mini-batch goes through the frozen body again. The head learns
  the same thing, more slowly (data augmentation would need this path; the book uses none).

Printing a learner shows its head, as typing ``learn`` did in the lecture.
"""

from __future__ import annotations

import copy
import importlib.util
import math
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

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


@dataclass
class History:
    """Per-epoch record of a ``fit``: lists with one entry per epoch.

    Attributes:
        train_loss: mean training loss over the epoch's mini-batches, in train mode (dropout
            on), each computed with the weights of that moment (what fastai reports).
        valid_loss, valid_acc: loss and accuracy on the validation set at the end of the epoch,
            in eval mode (dropout off).
        train_acc: accuracy over the epoch's mini-batches, measured like ``train_loss``: dropout
            on, the weights of each moment (the running figure a training loop prints).
        train_loss_eval, train_acc_eval: loss and accuracy on the whole training set at the end
            of the epoch in eval mode (dropout off), recorded only when
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
        """Record one epoch: each argument a ``(loss, accuracy)`` pair, ``train_eval`` when measured.

        Example:
            >>> h = History()
            >>> h.add_epoch((0.9, 0.6), (0.8, 0.7))
            >>> len(h), h.valid_acc, h.train_acc_eval
            (1, [0.7], [])
        """
        self.train_loss.append(train[0])
        self.train_acc.append(train[1])
        self.valid_loss.append(valid[0])
        self.valid_acc.append(valid[1])
        if train_eval is not None:
            self.train_loss_eval.append(train_eval[0])
            self.train_acc_eval.append(train_eval[1])

    def table(self, digits: int = 3) -> str:
        """The history as a fixed-width text table, rounded to ``digits`` (an integer >= 0)."""
        digits = int_at_least(digits, "digits", 0, "decimals shown")
        head = f"{'epoch':>5} {'train_loss':>10} {'valid_loss':>10} {'valid_acc':>9}"
        rows = [head] + [
            f"{i + 1:>5} {t:>10.{digits}f} {v:>10.{digits}f} {a:>9.{digits}f}"
            for i, (t, v, a) in enumerate(zip(self.train_loss, self.valid_loss, self.valid_acc, strict=True))
        ]
        return "\n".join(rows)


_PRECOMPUTE = "train on cached body activations, or run every mini-batch through the body"


def _show_progress(progress: bool | None) -> bool:
    if progress is not None:
        return progress
    setting = env_switch("LECNOTES_PROGRESS", "no progress bar", "a progress bar during fit",
                         "a bar only when run interactively, the default")
    if setting is not None:
        return setting
    return "ipykernel" in sys.modules or sys.stderr.isatty()


def _progress_bar():
    """tqdm's widget bar where ipywidgets is installed, else its text bar.

    ``tqdm.auto`` alone would warn on every kernel without ipywidgets (a bare venv, some
    JupyterHubs) before falling back to the text bar; the text bar needs no warning.
    """
    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm
    return tqdm


def pick_device(prefer: str | None = None) -> torch.device:
    """The device a :class:`Learner` should run on: CUDA if available, else Apple's MPS, else the CPU.

    A :class:`Learner` runs on the CPU unless given a device: ``Learner(..., device=pick_device())``.

    Args:
        prefer: a device to use instead of choosing (``"cpu"``, ``"cuda"``, ``"cuda:1"``...).

    Returns:
        The device.

    Example:
        >>> pick_device("cpu")
        device(type='cpu')
    """
    if prefer is not None:
        return _device(prefer, "prefer")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


class Learner:
    """A frozen body, concat pooling and a head, trained on a :class:`~lecnotes.task.Task`.

    Args:
        body: the pretrained body; it is frozen (no gradients) and kept in eval mode.
        data: the task to train the head on.
        head: a ready head; default ``custom_head(n_features, data.c, xtra_fc, ps)``.
        xtra_fc, ps: passed to :func:`~lecnotes.head.custom_head` when ``head`` is None.
        precompute: train the head on cached body activations (True) or run every mini-batch
            through the body (False). A bool (numpy's too), nothing else.
        bs: mini-batch size, at least 2: the head's BatchNorm1d needs two images to compute
            batch statistics (a last mini-batch of one, left over by the training set's size,
            is skipped).
        seed: seeds the head's initial weights, the shuffling and the dropout masks; the
            learner keeps its own random state (on the CPU and, on a GPU, on its device), so
            other cells cannot change its results.
        cache_dir: where activations are cached (default ``~/.cache/lecnotes/activations``); if
            it cannot be used the activations are computed in memory, with one warning.
        progress: show a tqdm bar during ``fit``; default: only when run interactively and
            ``$LECNOTES_PROGRESS`` is not ``0``.
        device: where the body and the head run (``"cpu"``, ``"cuda"``, ``"mps"``; default the
            CPU); :func:`pick_device` chooses the fastest there is. Cached activations live on
            the CPU.

    Integer and number arguments may be Python's or numpy's (``bs=np.int64(64)``).

    Raises:
        ValueError: an argument of the wrong kind or range (the message names it), or a task
            with fewer than 2 training images or no validation images.

    Example:
        >>> from lecnotes.data import target_task
        >>> learn = Learner.pretrained(target_task(), xtra_fc=[512], ps=[0.25, 0.5])
        >>> hist = learn.fit(3, 1e-3)
        >>> len(hist.valid_loss), hist.valid_acc[-1] > 0.7
        (3, True)
    """

    def __init__(self, body: nn.Module, data: Task, head: nn.Module | None = None,
                 xtra_fc: list[int] | None = None, ps: float | list[float] | None = None,
                 precompute: bool = True, bs: int = 64, seed: int = 0,
                 cache_dir: str | Path | None = None, progress: bool | None = None,
                 device: torch.device | str | None = None) -> None:
        _check_task(data)
        if not isinstance(body, nn.Module):
            raise TypeError(f"body must be a torch.nn.Module (for example pretrained_body()), "
                            f"got {body!r}")
        bs = batch_size(bs)
        precompute = flag(precompute, "precompute", _PRECOMPUTE)
        progress = _progress_setting(progress)
        seed = check_seed(seed)
        cache_dir = None if cache_dir is None else folder(cache_dir, "cache_dir")
        if head is not None:
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
        self.device = _device(device)
        self._cache: dict[str, tuple] = {}
        self.cache_hits: dict[str, bool] = {}
        self._warned: set[str] = set()  # warnings shown already: one per cause, not per split
        self.body = freeze(body).to(self.device)
        self.pool = concat_pool()
        self._data = data
        self.precompute = precompute
        self.bs = bs
        self.cache_dir = cache_dir
        self.progress = progress
        with self._own_rng(seed):
            try:
                probe = self.compute_activations(data.train_x[:2])
            except RuntimeError as exc:
                raise ValueError(
                    f"the body cannot take data's images (task {data.name!r}: "
                    f"{str(data.train_x.dtype).replace('torch.', '')} "
                    f"{list(data.train_x.shape[1:])} each, then its transform): {exc}. "
                    "Give the body images of the kind it was trained on (Fashion-MNIST: "
                    "uint8 [N, 28, 28])"
                ) from None
            self.n_features = int(probe.shape[1])
            if head is None:
                head = custom_head(self.n_features, data.c, xtra_fc, ps)
            else:
                _check_head(head, probe.to(self.device), data.c)
            self.head = head
            self.head.to(self.device)
        # One Adam for the learner's life (a new one only for a head swapped in later, see
        # _bind_head). Its lr and weight decay are set by fit, which also clears its moments
        # whenever they change (see _use_hyperparameters).
        self._opt = torch.optim.Adam(self._trainable())
        self._opt_hyper: tuple[float, float] | None = None  # (lr, wd) of the last fit
        self._shuffle = torch.Generator().manual_seed(seed)
        self.history = History()

    @property
    def data(self) -> Task:
        """The task; setting another one drops the activations kept for the old one."""
        return self._data

    @data.setter
    def data(self, task: Task) -> None:
        _check_task(task)
        if task.c != self._data.c:
            raise ValueError(f"data has {task.c} classes, but the head was built for "
                             f"{self._data.c} (task {self._data.name!r}): build a new Learner "
                             f"for task {task.name!r}")
        self._data = task
        self._cache.clear()

    @property
    def bs(self) -> int:
        """The mini-batch size, at least 2 (checked when set)."""
        return self._bs

    @bs.setter
    def bs(self, value: int) -> None:
        self._bs = batch_size(value)

    @property
    def precompute(self) -> bool:
        """Train on cached body activations (True) or run every mini-batch through the body."""
        return self._precompute

    @precompute.setter
    def precompute(self, value: bool) -> None:
        self._precompute = flag(value, "precompute", _PRECOMPUTE)

    @property
    def progress(self) -> bool | None:
        """Show a progress bar during fit: True, False, or None (only when interactive)."""
        return self._progress

    @progress.setter
    def progress(self, value: bool | None) -> None:
        self._progress = _progress_setting(value)

    def _trainable(self) -> list[nn.Parameter]:
        return [p for p in self.head.parameters() if p.requires_grad]

    def _bind_head(self) -> None:
        """Give Adam the current head's parameters when the head (or a layer) was swapped.

        ``learn.head = custom_head(...)`` after construction would otherwise train nothing:
        the optimiser would keep stepping the old head's parameters. The new head gets a
        fresh Adam.
        """
        if not isinstance(self.head, nn.Module):
            raise TypeError(f"learn.head must be a torch.nn.Module (for example "
                            f"custom_head(...)), "
                            f"got {self.head!r}")
        params, bound = self._trainable(), self._opt.param_groups[0]["params"]
        same = len(params) == len(bound)
        if same and all(p is q for p, q in zip(params, bound, strict=True)):
            return
        with torch.no_grad():
            probe = self.compute_activations(self.data.train_x[:2])
        _check_head(self.head, probe.to(self.device), self.data.c)
        self.head.to(self.device)
        self._opt = torch.optim.Adam(self._trainable())
        self._opt_hyper = None

    @classmethod
    def pretrained(cls, data: Task, xtra_fc: list[int] | None = None,
                   ps: float | list[float] | None = None, precompute: bool = True,
                   weights: str | Path | None = None, **kwargs: object) -> Learner:
        """A learner on a shipped pretrained body (fastai's ``ConvLearner.pretrained``).

        Args:
            data, xtra_fc, ps, precompute: as for :class:`Learner`.
            weights: ``"small"`` (the default: 512 channels, 1024 head inputs), ``"big"`` (2048
                channels, 4096 head inputs), or a weights file with its recipe JSON beside it, as
                ``python -m lecnotes.pretrain`` writes them. See
                :func:`~lecnotes.body.pretrained_body`.
            **kwargs: the other arguments of :class:`Learner` (``bs``, ``seed``, ``cache_dir``...).

        Returns:
            The learner.
        """
        _check_task(data)  # before the body is loaded
        return cls(pretrained_body(weights), data, xtra_fc=xtra_fc, ps=ps, precompute=precompute,
                   **kwargs)  # type: ignore[arg-type]

    @contextmanager
    def _own_rng(self, seed: int | None = None) -> Iterator[None]:
        """Draw from the learner's own random state inside the block, leaving torch's as it was.

        Inside :func:`~lecnotes.repro.isolated_rng`, the learner's state (the CPU's and, on a
        GPU, its device's) is put in place, or seeded afresh with ``seed``; when the block ends,
        also through an exception (a loss that blew up), the state is kept for the next block,
        so no draw is ever made twice.
        """
        with isolated_rng():
            if seed is not None:
                torch.manual_seed(seed)  # the CPU and every GPU
            else:
                torch.set_rng_state(self._rng_state)
                if self.device.type == "cuda":
                    torch.cuda.set_rng_state(self._device_rng_state, self.device)
            try:
                yield
            finally:
                self._rng_state = torch.get_rng_state()
                if self.device.type == "cuda":
                    self._device_rng_state = torch.cuda.get_rng_state(self.device)

    @property
    def model(self) -> nn.Sequential:
        """The whole network: body, concat pooling, head. Shape ``[N, 1, 28, 28]`` to ``[N, C]``."""
        return nn.Sequential(self.body, self.pool, self.head)

    def __repr__(self) -> str:
        return repr(self.head)

    def summary(self) -> str:
        """Parameter counts: body (frozen), head (trainable)."""
        return (f"body: {n_params(self.body):,} parameters, {n_params(self.body, True):,} trainable\n"
                f"head: {n_params(self.head):,} parameters, {n_params(self.head, True):,} trainable")

    def compute_activations(self, images: torch.Tensor) -> torch.Tensor:
        """Pooled body activations of any raw images, computed now, never cached. ``[N, n_features]``.

        The same numbers :meth:`activations` keeps for a whole split.

        Raises:
            TypeError: ``images`` is not a tensor.
            ValueError: no images, or images not shaped like the task's (one image alone needs
                its batch dimension: ``images[None]``).
        """
        _check_images(images, self.data.train_x)
        return _body_activations(nn.Sequential(self.body, self.pool), images, self.data.transform,
                                 device=self.device)

    def activations(self, split: str) -> torch.Tensor:
        """Pooled body activations of a split's images (``"train"``, ``"valid"``, ``"test"``).

        Shape: ``[N, n_features]``.

        Computed on first use or read from ``cache_dir`` (see :mod:`lecnotes.precompute`), then
        kept: what :meth:`compute_activations` gives for the split's images. They are kept for
        those images and that transform only: a new task (``learn.data = ...``), another tensor
        or transform in the task, or images edited in place (``task.train_x[:] = ...``) mean
        they are computed (or read from the cache) again.
        """
        images, _ = self.data.split(split)  # checks split, before it is used as a key
        transform, version = self.data.transform, _version(images)
        kept = self._cache.get(split)
        if kept is None or kept[0] is not images or kept[1] != version \
                or kept[2] is not transform:
            feats, hit = cached_activations(nn.Sequential(self.body, self.pool), images,
                                            transform, self.cache_dir, self.device,
                                            warned=self._warned)
            self._cache[split] = (images, version, transform, feats)
            self.cache_hits[split] = hit
        return self._cache[split][3]

    def _inputs(self, split: str, idx: torch.Tensor) -> torch.Tensor:
        if self.precompute:
            return self.activations(split)[idx].to(self.device)
        images, _ = self.data.split(split)
        return self.compute_activations(images[idx]).to(self.device)  # through the frozen body, every time

    def _labels(self, split: str) -> torch.Tensor:
        return self.data.split(split)[1].to(self.device)

    @torch.no_grad()
    def evaluate(self, split: str = "valid", mode: str = "eval") -> tuple[float, float]:
        """Loss and accuracy of the head on a whole split.

        Args:
            split: ``"valid"``, ``"train"`` or, for a task with one, ``"test"``.
            mode: ``"eval"`` (dropout off, BatchNorm's running statistics) or ``"train"``
                (dropout on, batch statistics; uses and advances the learner's random state).

        Returns:
            ``(mean loss, accuracy)`` as floats.

        Raises:
            ValueError: ``split`` or ``mode`` is none of the allowed values.
            FloatingPointError: the loss is nan or infinite: the head's weights blew up (a
                ``fit`` with far too large an ``lr`` or ``wd``), so the numbers mean nothing.
        """
        loss, acc = self._evaluate(split, mode)
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"the {split} loss is {loss}: the head's weights are no longer usable "
                "numbers (a fit with far too large an lr or wd blew them up), so its accuracy "
                "means nothing. Build a new Learner and train it with a smaller lr (the book "
                "uses 1e-3).")
        return loss, acc

    @torch.no_grad()
    def _evaluate(self, split: str, mode: str = "eval") -> tuple[float, float]:
        """:meth:`evaluate` without the check for a loss that is nan or infinite."""
        if mode not in ("eval", "train"):
            raise ValueError(f"mode must be 'eval' or 'train', got {mode!r}")
        y = self._labels(split)  # raises the ValueError for a split the task does not have
        # a copy in train mode, so BatchNorm's running statistics of the real head never move
        head = copy.deepcopy(self.head).train() if mode == "train" else self.head.eval()
        total_loss, correct = 0.0, 0
        with self._own_rng():
            for i in range(0, len(y), 1000):
                idx = torch.arange(i, min(i + 1000, len(y)))
                out = head(self._inputs(split, idx))
                total_loss += F.nll_loss(out, y[idx], reduction="sum").item()
                correct += int((out.argmax(1) == y[idx]).sum())
        return total_loss / len(y), correct / len(y)

    def fit(self, epochs: int, lr: float, eval_train: bool = False,
            wd: float = 0.0) -> History:
        """Train the head with Adam for ``epochs`` passes over the training set.

        Calls add up: the history grows and Adam keeps its moment estimates from one call to the
        next, unless ``lr`` or ``wd`` changed, which starts Adam afresh.

        Args:
            epochs: number of epochs (positive integer).
            lr: learning rate (a finite number above 0).
            eval_train: also record the eval-mode loss and accuracy on the whole training set
                per epoch.
            wd: weight decay (L2 penalty), a finite number >= 0; default 0.

        Returns:
            The learner's :class:`History`, which keeps growing across ``fit`` calls.

        Raises:
            ValueError: an argument of the wrong kind or range; nothing is trained.
            FloatingPointError: a loss became nan or infinite (the weights blew up, usually
                because ``lr`` or ``wd`` is far too large). The message names ``lr``, ``wd``,
                the epoch and the loss; that epoch is not recorded, the epochs before it are.
        """
        epochs = positive_int(epochs, "epochs", "passes over the training set")  # type: ignore[assignment]
        lr = positive_number(lr, "lr", "the learning rate")
        wd = non_negative_number(wd, "wd", "the weight decay")
        eval_train = flag(eval_train, "eval_train", "also score the whole training set after "
                          "every epoch, dropout off")
        self._bind_head()
        self._use_hyperparameters(lr, wd)
        for _ in self._with_progress(range(epochs)):
            epoch = len(self.history) + 1
            train = self._train_epoch(epoch)
            valid = self._scored("valid", "validation loss", epoch)
            train_eval = self._scored("train", "training loss (eval mode)", epoch) if eval_train else None
            self.history.add_epoch(train, valid, train_eval)
        self.head.eval()
        return self.history

    def _use_hyperparameters(self, lr: float, wd: float) -> None:
        """Set Adam's lr and weight decay; when either changed since the last fit, start Adam afresh.

        Earlier versions built a new Adam whenever (lr, wd) changed between fit calls, and kept
        the old one (with its moment estimates) otherwise. Setting the two numbers and clearing
        Adam's state (its step counts and moments) is exactly that fresh Adam: the stored results
        of the chapters depend on it, so keep it this way.
        """
        if self._opt_hyper != (lr, wd):
            for group in self._opt.param_groups:
                group["lr"], group["weight_decay"] = lr, wd
            self._opt.state.clear()
            self._opt_hyper = (lr, wd)

    def _with_progress(self, epochs: Iterable[int]) -> Iterable[int]:
        """``epochs``, shown as a tqdm bar when the learner's ``progress`` setting says so."""
        if _show_progress(self.progress):
            return _progress_bar()(epochs, desc="epoch", leave=False)
        return epochs

    def _train_epoch(self, epoch: int) -> tuple[float, float]:
        """One pass over the shuffled training set in mini-batches, one Adam step per mini-batch.

        Returns:
            The running ``(loss, accuracy)`` over the epoch's mini-batches, dropout on.

        Raises:
            FloatingPointError: a mini-batch's loss is nan or infinite (see :meth:`fit`).
        """
        y = self._labels("train")
        self.head.train()
        order = torch.randperm(len(y), generator=self._shuffle)
        total, correct, seen = 0.0, 0, 0
        with self._own_rng():
            for i in range(0, len(y), self.bs):
                idx = order[i : i + self.bs]
                if len(idx) == 1:
                    continue  # BatchNorm1d cannot train on a batch of one
                out = self.head(self._inputs("train", idx))
                loss = F.nll_loss(out, y[idx])
                value = loss.item()
                if not math.isfinite(value):
                    raise self._blown_up("training loss", value, epoch)
                self._opt.zero_grad()
                loss.backward()
                self._opt.step()
                total += value * len(idx)
                correct += int((out.argmax(1) == y[idx]).sum())
                seen += len(idx)
        return total / seen, correct / seen

    def _scored(self, split: str, what: str, epoch: int) -> tuple[float, float]:
        """:meth:`evaluate` in eval mode, refusing a loss that is nan or infinite (named ``what``)."""
        loss, acc = self._evaluate(split)
        if not math.isfinite(loss):
            raise self._blown_up(what, loss, epoch)
        return loss, acc

    def _blown_up(self, what: str, value: float, epoch: int) -> FloatingPointError:
        self.head.eval()
        lr, wd = self._opt_hyper  # type: ignore[misc]
        return FloatingPointError(
            f"the {what} became {value} in epoch {epoch} (lr={lr}, wd={wd}): the head's weights are no "
            f"longer usable numbers, usually because lr or wd is far too large. Epoch {epoch} is not "
            "recorded in the history. Build a new Learner (this head is spoiled) and train it with a "
            "smaller lr (the book uses 1e-3) or wd."
        )


def _check_task(data: Task) -> None:
    """A task the learner can train on: 2 or more training images and some validation images."""
    if not isinstance(data, Task):
        raise TypeError(f"data must be a Task (for example lecnotes.target_task()), "
                        f"got {data!r}")
    name = getattr(data, "name", "?")
    n_train, n_valid = len(data.train_y), len(data.valid_y)
    if n_train < 2:
        raise ValueError(
            f"task {name!r} has {n_train} training image(s); training needs at least 2 (the head's "
            "BatchNorm1d computes statistics over a mini-batch): give the task more training images"
        )
    if n_valid == 0:
        raise ValueError(
            f"task {name!r} has no validation images (valid_x and valid_y are empty); fit scores "
            "the head on them after every epoch: give the task some validation images"
        )


def _progress_setting(value: object) -> bool | None:
    if value is None:
        return None
    return flag(value, "progress",
                "show a progress bar during fit; None: only when run interactively")


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
    missing = {"cuda": not torch.cuda.is_available(),
               "mps": not (getattr(torch.backends, "mps", None) is not None
                           and torch.backends.mps.is_available())}
    if missing.get(chosen.type, False):
        raise ValueError(f"{name} is {device!r}, but this machine has no "
                         f"{chosen.type.upper()} device torch can use: leave device out "
                         "for the CPU, or use pick_device(), which chooses the fastest there is")
    return chosen


def _version(images: torch.Tensor) -> int | None:
    """The tensor's version counter, which every in-place edit advances (or None)."""
    try:
        return images._version
    except RuntimeError:  # an inference-mode tensor keeps no version counter
        return None


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


def _check_head(head: nn.Module, features: torch.Tensor, n_classes: int) -> None:
    """A head that maps the features to log-probabilities of the task's classes.

    Tried in eval mode on a few features, without gradients; each layer's mode is restored.
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
