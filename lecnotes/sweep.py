r"""Train many heads at once: a grid of dropout settings times seeds, on precomputed activations.

Chapters 2 to 5 ask the same question again and again: how does the validation loss of a
head move, epoch by epoch, as ``ps`` changes, and how much of the difference is just the
seed? A :class:`~lecnotes.learner.Learner` per run answers it one head at a time, and a
small head on 500 images spends most of each epoch on Python overhead rather than
arithmetic.

:func:`sweep` stacks the G = len(settings) x len(seeds) heads and trains them together.
Every layer of the head becomes a batched one: a Linear layer holds ``G`` weight
matrices and is one ``baddbmm``; BatchNorm keeps ``G`` sets of batch and running
statistics; dropout draws ``G`` masks. The loss is the sum of the ``G`` heads' losses,
so each head's gradient is exactly its own. Adam updates each head's share of every
stacked tensor as a tensor of its own (a view of its row), so a head is updated the
same way whatever the grid: a fused Adam on the CPU rounds an element differently in
its vector lanes and in its scalar tail, so one Adam over a whole stack would let the
last bits of a head depend on how many heads sit before it. It is PyTorch's fused Adam:
the same update in one pass over each tensor instead of a dozen, which makes a sweep
about a quarter faster; its rounding differs from the step-by-step Adam of a Learner in
the last bits (below 1e-5 in the losses, as the tests check).

A head in a sweep is a function of its setting and seed alone, never of the rest of the
grid: it gets the initial weights a :class:`~lecnotes.learner.Learner` with the same
seed builds (:func:`~lecnotes.head.custom_head` under the seed), the same seeded shuffle, and its
own generator for the dropout masks, which continues the Learner's random stream from
where the head's initial weights left it and draws each mask as ``nn.Dropout`` does on
the CPU. So a sweep of one setting reproduces a Learner with the same seed, with dropout
too, up to float rounding (the tests check that, and that a head trains bit for bit the
same alone and inside a larger grid).

Evaluation is the expensive part (every head on every validation image, every epoch), so
BatchNorm's eval-mode affine map is folded into the next Linear layer, and the
validation activations are never copied G times. The test split is not scored while
training: after the sweep, :meth:`Sweep.per_image` scores the heads you ask for, at
their final epoch or at the epoch of their lowest validation loss (early stopping), on
any split.

A finished sweep is kept on disk (:mod:`lecnotes.memo`): the same sweep asked for again,
with the same code, data and arithmetic, is read back bit for bit instead of trained
(:attr:`Sweep.from_cache` says which).

Example:
    >>> from lecnotes.data import target_task
    >>> res = sweep(target_task(n_valid=100), settings=[0.0, 0.5], seeds=[0, 1], epochs=3,
    ...             xtra_fc=[64])
    >>> res.valid_loss.shape          # [settings, seeds, epochs]
    torch.Size([2, 2, 3])
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from . import memo
from ._checks import a_list, batch_size, flag, non_negative_number, positive_int, positive_number
from ._checks import seed as check_seed
from .body import pretrained_body
from .head import custom_head, resolve_ps
from .learner import CURVES, BodyFeatures
from .repro import isolated_rng
from .task import Task


@dataclass
class Sweep:
    """Curves of a sweep: each a float tensor ``[settings, seeds, epochs]``.

    Attributes:
        settings: the ``ps`` of each row, as given (a float or one p per layer).
        seeds: the seeds of each column.
        train_loss, train_acc: running figures over each epoch's mini-batches, dropout
            on (what fastai reports while training).
        valid_loss, valid_acc: the whole validation set at the end of each epoch,
            dropout off.
        train_loss_eval, train_acc_eval: the whole training set at the end of each
            epoch, dropout off; only when ``sweep(..., eval_train=True)``, else empty
            tensors.
    """

    settings: list
    seeds: list[int]
    train_loss: torch.Tensor
    train_acc: torch.Tensor
    valid_loss: torch.Tensor
    valid_acc: torch.Tensor
    train_loss_eval: torch.Tensor = field(default_factory=lambda: torch.empty(0))
    train_acc_eval: torch.Tensor = field(default_factory=lambda: torch.empty(0))
    heads: dict = field(default_factory=dict, repr=False)
    """For :meth:`per_image`: the trained heads (``"final"``, ``"best"``) and ``"features"``, which
    gives a split's activations and labels."""
    from_cache: bool = False
    """Whether the curves and heads were read from :mod:`lecnotes.memo` instead of trained."""

    def best(self, name: str = "valid_loss") -> torch.Tensor:
        """Per run, the lowest value of a loss curve (highest of an accuracy): ``[settings, seeds]``."""
        return self._curve(name).gather(-1, self.best_epoch(name)[..., None] - 1)[..., 0]

    def best_epoch(self, name: str = "valid_loss") -> torch.Tensor:
        """Per run, the epoch (counting from 1) of :meth:`best`: ``[settings, seeds]``."""
        curve = self._curve(name)
        return (curve.argmax(-1) if name.endswith("acc") else curve.argmin(-1)) + 1

    def final(self, name: str = "valid_loss") -> torch.Tensor:
        """Per run, the value after the last epoch: ``[settings, seeds]``."""
        return self._curve(name)[..., -1]

    def _curve(self, name: str) -> torch.Tensor:
        """The curve called ``name``; a ValueError names a curve that does not exist or is empty."""
        if name not in CURVES:
            raise ValueError(f"name must be one of the curves {', '.join(CURVES)}, got {name!r}")
        curve = getattr(self, name)
        if curve.numel() == 0:
            raise ValueError(f"{name} was not recorded: only sweep(..., eval_train=True) records "
                             "the eval-mode training curves")
        return curve

    def per_image(self, split: str, rows: Sequence[int] | None = None,
                  at: str = "best") -> tuple[torch.Tensor, torch.Tensor]:
        """Each head's loss and hit on every image of a split, dropout off.

        Args:
            split: ``"train"``, ``"valid"`` or ``"test"`` (a task with a test split).
            rows: indices into ``settings`` (default all); every seed of each row is
                scored.
            at: ``"best"``: the heads as they were after the epoch of their lowest
                validation loss (early stopping, chosen on validation images);
                ``"final"``: after the last epoch.

        Returns:
            ``(loss, correct)``, float64 and bool tensors ``[rows, seeds, images]``;
            their mean over the last axis is the loss and accuracy :meth:`final` and
            :meth:`best` report.
        """
        if at not in ("best", "final"):
            raise ValueError(f"at must be 'best' (the epoch of lowest validation loss) or 'final', "
                             f"got {at!r}")
        if not self.heads:
            raise ValueError("this Sweep holds curves only (no trained heads): make it with sweep()")
        rows = list(range(len(self.settings))) if rows is None else list(rows)
        bad = [r for r in rows if not isinstance(r, int) or not 0 <= r < len(self.settings)]
        if bad:
            raise ValueError(f"rows must be indices of settings, 0..{len(self.settings) - 1}, "
                             f"got {bad}")
        n = len(self.seeds)
        which = torch.tensor([r * n + j for r in rows for j in range(n)])
        x, y = self.heads["features"](split)
        loss, correct = _per_image(self.heads[at], x, y, which)
        return loss.reshape(len(rows), n, -1), correct.reshape(len(rows), n, -1)


class _Stacked(nn.Module):
    """G heads of one shape as stacked tensors: per layer BatchNorm, dropout p, Linear."""

    def __init__(self, heads: Sequence[nn.Sequential], ps: Sequence[Sequence[float]],
                 masks: list[torch.Generator], shuffles: list[torch.Generator]) -> None:
        super().__init__()
        self.masks, self.shuffles = masks, shuffles  # each head's generators
        bns = [[m for m in h if isinstance(m, nn.BatchNorm1d)] for h in heads]
        linears = [[m for m in h if isinstance(m, nn.Linear)] for h in heads]
        self.n_layers = len(linears[0])

        def stacked(tensors) -> nn.Parameter:
            return nn.Parameter(torch.stack([t.detach().clone() for t in tensors]))

        layers = range(self.n_layers)
        self.gamma = nn.ParameterList([stacked(b[i].weight for b in bns) for i in layers])
        self.beta = nn.ParameterList([stacked(b[i].bias for b in bns) for i in layers])
        # nn.Linear keeps its weight as [out, in]; the batched x @ W wants [in, out]
        self.weight = nn.ParameterList([stacked(lin[i].weight.t() for lin in linears) for i in layers])
        self.bias = nn.ParameterList([stacked(lin[i].bias for lin in linears) for i in layers])
        for i in layers:
            self.register_buffer(f"mean{i}", torch.stack([b[i].running_mean.clone() for b in bns]))
            self.register_buffer(f"var{i}", torch.stack([b[i].running_var.clone() for b in bns]))
        self.p = torch.tensor(ps, dtype=torch.float32)  # [G, layers]
        self.eps, self.momentum = bns[0][0].eps, bns[0][0].momentum

    def forward_train(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` [G, B, F] -> log-probabilities [G, B, C], updating the running statistics."""
        for i in range(self.n_layers):
            mean, var = x.mean(1), x.var(1, unbiased=False)
            with torch.no_grad():
                n = x.shape[1]
                running_mean, running_var = getattr(self, f"mean{i}"), getattr(self, f"var{i}")
                running_mean.lerp_(mean, self.momentum)
                running_var.lerp_(var * n / (n - 1), self.momentum)
            x = (x - mean[:, None]) / torch.sqrt(var[:, None] + self.eps)
            x = x * self.gamma[i][:, None] + self.beta[i][:, None]
            masks = self.draw_masks(x.shape[1:], i)
            if masks is not None:
                x = x * masks
            x = torch.baddbmm(self.bias[i][:, None], x, self.weight[i])
            if i < self.n_layers - 1:
                x = F.relu(x)
        return F.log_softmax(x, dim=-1)

    def draw_masks(self, shape: tuple[int, int], layer: int) -> torch.Tensor | None:
        """Each head's dropout mask for one layer, scaled by 1/(1-p): ``[G, *shape]``, or None.

        Head g draws from its generator ``self.masks[g]`` exactly what ``nn.Dropout(p)``
        draws on the CPU (a Bernoulli(1 - p) tensor, divided by 1 - p), and draws nothing
        where its p is 0, where :func:`~lecnotes.head.custom_head` puts no Dropout.
        """
        ps = self.p[:, layer]
        if not bool((ps > 0).any()):
            return None
        masks = torch.empty(len(ps), *shape)  # one buffer, filled in place: no allocation per head
        jobs = list(zip(masks, ps.tolist(), self.masks, strict=True))
        # Torch draws a Bernoulli mask on the CPU serially, from one generator: the heads' masks
        # are drawn side by side, one share of the heads per thread. Each head keeps its own
        # generator, so which thread draws it changes nothing.
        pool, n = _mask_pool()
        list(pool.map(_draw, [jobs[k::n] for k in range(n)]))
        return masks.div_((1 - ps)[:, None, None])

    @torch.no_grad()
    def forward_eval(self, x: torch.Tensor, which: torch.Tensor | None = None) -> torch.Tensor:
        """``x`` [N, F], shared by the heads -> log-probabilities [G, N, C], dropout off.

        ``which`` picks some of the heads (an index tensor); default all ``G``.
        """
        pick = (lambda t: t) if which is None else (lambda t: t[which])
        for i in range(self.n_layers):
            gamma, beta, w, b = (pick(t[i]) for t in (self.gamma, self.beta, self.weight, self.bias))
            scale = gamma / torch.sqrt(pick(getattr(self, f"var{i}")) + self.eps)     # [G, F]
            shift = beta - pick(getattr(self, f"mean{i}")) * scale                    # [G, F]
            weight = scale[:, :, None] * w                                            # BN folded in
            bias = b + torch.einsum("gf,gfo->go", shift, w)
            x = torch.matmul(x, weight) + bias[:, None]
            if i < self.n_layers - 1:
                x = F.relu(x)
        return F.log_softmax(x, dim=-1)


def _per_head(model: _Stacked) -> list[nn.Parameter]:
    """Each head's row of every stacked parameter, as a parameter of its own, for Adam.

    The forward and backward passes use the stacked tensors. After each backward pass
    a stacked parameter hands its gradient's rows to its heads' rows and drops it (the
    next backward pass starts afresh), and Adam updates the rows in place: views of the
    stack, with the same size and layout whatever the grid (see the module's notes).
    """
    rows = []
    for stacked in model.parameters():
        own = [nn.Parameter(row) for row in stacked.detach().unbind()]

        def hand_out(param: torch.Tensor, own: list[nn.Parameter] = own) -> None:
            for row, grad in zip(own, param.grad.unbind(), strict=True):
                row.grad = grad
            param.grad = None

        stacked.register_post_accumulate_grad_hook(hand_out)
        rows += own
    return rows


def _draw(jobs: Sequence[tuple[torch.Tensor, float, torch.Generator]]) -> None:
    """Fill each ``(mask, p, generator)``: Bernoulli(1 - p) draws, or ones where p is 0."""
    for mask, p, gen in jobs:
        if p > 0:
            mask.bernoulli_(1 - p, generator=gen)
        else:
            mask.fill_(1.0)


@functools.cache
def _mask_pool() -> tuple[ThreadPoolExecutor, int]:
    """Threads for drawing masks and their number: one per thread torch computes with.

    Made once, on first use.
    """
    n = max(1, torch.get_num_threads())
    return ThreadPoolExecutor(n, thread_name_prefix="lecnotes-masks"), n


def _scores(model: _Stacked, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean loss and accuracy of every head on ``x``: two tensors ``[G]``."""
    loss, correct = _per_image(model, x, y)
    return loss.mean(1), correct.double().mean(1)


def _per_image(model: _Stacked, x: torch.Tensor, y: torch.Tensor, which: torch.Tensor | None = None,
               chunk: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """Loss (float64) and hit (bool) of the heads ``which`` on every image: ``[G, N]`` each."""
    losses, hits = [], []
    for i in range(0, len(y), chunk):
        out = model.forward_eval(x[i : i + chunk], which)
        target = y[i : i + chunk].expand(out.shape[0], -1)
        losses.append(-out.gather(2, target[..., None]).squeeze(2).double())
        hits.append(out.argmax(2) == target)
    return torch.cat(losses, 1), torch.cat(hits, 1)


def sweep(data: Task, settings: Sequence[float | Sequence[float]], seeds: Sequence[int],
          epochs: int, xtra_fc: Sequence[int] | None = None, lr: float = 1e-3,
          bs: int = 64, wd: float = 0.0, eval_train: bool = False,
          body: nn.Module | None = None, cache_dir=None) -> Sweep:
    """Train one head per (setting, seed) on cached activations, all at once.

    ``settings`` are the rows' ``ps`` (one p for every layer, or one per layer); each
    seed sets a head's initial weights, shuffling and dropout masks, as for a Learner.
    ``data`` has its validation set scored every epoch (``target_task(n_valid=...)``
    makes that cheaper), and ``eval_train`` its whole training set too, dropout off.
    ``xtra_fc`` (default ``[512]``), ``lr``, ``bs``, ``wd``, ``body`` and ``cache_dir``
    are as for :class:`~lecnotes.learner.Learner`, and the same for every head.

    Returns a :class:`Sweep` with curves ``[len(settings), len(seeds), epochs]``, read
    back from :mod:`lecnotes.memo` when this sweep was trained before. An
    argument of the wrong kind or range is a ValueError or TypeError naming it, before
    any training; a head whose loss blew up (far too large an ``lr`` or ``wd``), a
    FloatingPointError naming them, the epoch, the loss and the first such head.
    """
    epochs, settings, seeds, xtra_fc = _checked(epochs, settings, seeds, xtra_fc)
    eval_train = flag(eval_train, "eval_train",
                      "also score the whole training set every epoch")
    bs = batch_size(bs)
    lr = positive_number(lr, "lr", "the learning rate")
    wd = non_negative_number(wd, "wd", "the weight decay")
    for setting in settings:  # every setting checked before the (slow) activations
        resolve_ps(setting, xtra_fc)
    feats = BodyFeatures(pretrained_body() if body is None else body, data, cache_dir)
    model = _stacked(settings, seeds, xtra_fc, feats.n_features, data.c)
    key = memo.sweep_key(
        settings=[resolve_ps(s, xtra_fc) for s in settings], seeds=seeds, epochs=epochs,
        xtra_fc=xtra_fc, lr=lr, bs=bs, wd=wd, eval_train=eval_train, classes=data.c,
        **{split: (feats.activations(split), data.split(split)[1]) for split in ("train", "valid")})
    out, best, from_cache = _kept_or_trained(key, model, lambda: _trained(
        model, feats, epochs, bs, lr, wd, eval_train, settings, seeds))
    heads = {"final": model, "best": best,
             "features": lambda split: (feats.activations(split), data.split(split)[1])}
    return Sweep(list(settings), seeds, **out, heads=heads, from_cache=from_cache)


def _kept_or_trained(key: str, model: _Stacked, train: Callable[[], tuple]) -> tuple:
    """``(curves, best heads, from_cache)``: read back from :mod:`lecnotes.memo` under
    ``key`` into ``model`` (its final weights), or trained by ``train()`` and kept."""
    kept = memo.load(key)
    if kept is None:
        out, best = train()
        memo.save(key, {"curves": out, "final": model.state_dict(), "best": best.state_dict()})
        return out, best, False
    best = copy.deepcopy(model)
    model.load_state_dict(kept["final"])
    best.load_state_dict(kept["best"])
    return kept["curves"], best, True


def _trained(model: _Stacked, feats: BodyFeatures, epochs: int, bs: int, lr: float, wd: float,
             eval_train: bool, settings: list, seeds: list[int]) -> tuple[dict, _Stacked]:
    """Train the stacked heads: the curves ``[settings, seeds, epochs]`` by name, and the
    heads at their best epoch."""
    opt = torch.optim.Adam(_per_head(model), lr=lr, weight_decay=wd, fused=True)
    curves, best = _fit(model, opt, feats, epochs, bs, eval_train, (lr, wd, settings, seeds))
    shape = (len(settings), len(seeds), epochs)
    return {k: torch.stack(v, -1).float().reshape(shape) if v else torch.empty(0)
            for k, v in curves.items()}, best


def _fit(model: _Stacked, opt: torch.optim.Optimizer, feats: BodyFeatures, epochs: int,
         bs: int, eval_train: bool, refuse: tuple) -> tuple[dict, _Stacked]:
    """Train the stacked heads: their curves by name, and the heads at their best epoch.

    ``refuse`` is ``(lr, wd, settings, seeds)``, for the message about a loss that blew
    up.
    """
    x_train, x_valid = feats.activations("train"), feats.activations("valid")
    y_train, y_valid = feats.data.train_y, feats.data.valid_y
    best_loss = torch.full((len(model.masks),), float("inf"), dtype=torch.float64)
    snapshot = {k: v.detach().clone() for k, v in model.state_dict().items()}
    curves: dict[str, list[torch.Tensor]] = {k: [] for k in CURVES}
    for epoch in range(1, epochs + 1):
        train = _train_epoch(model, opt, x_train, y_train, bs)
        valid = _scores(model, x_valid, y_valid)
        for what, loss in (("training loss", train[0]), ("validation loss", valid[0])):
            _check_finite(loss, what, epoch, *refuse)
        improved = valid[0] < best_loss  # these heads' weights and statistics are kept
        for name, value in model.state_dict().items():  # detached: no gradient is recorded
            snapshot[name][improved] = value[improved]
        best_loss = torch.minimum(best_loss, valid[0])
        scores = train + valid
        scores += _scores(model, x_train, y_train) if eval_train else ()
        for name, value in zip(CURVES, scores, strict=False):
            curves[name].append(value)
    best = copy.deepcopy(model)
    best.load_state_dict(snapshot)
    return curves, best


def _checked(epochs: object, settings: object, seeds: object,
             xtra_fc: object) -> tuple[int, list, list[int], list[int]]:
    """The grid's arguments checked: ``(epochs, settings, seeds, xtra_fc)``."""
    epochs = positive_int(epochs, "epochs", "passes over the training set")
    settings = a_list(settings, "settings", "the ps of each row")
    seeds = a_list(seeds, "seeds", "one head per seed and setting")
    xtra_fc = [512] if xtra_fc is None else [
        positive_int(n, f"xtra_fc[{i}]", "a layer size")
        for i, n in enumerate(a_list(xtra_fc, "xtra_fc", "the extra layers' sizes"))]
    if not settings or not seeds:
        raise ValueError(f"settings and seeds must be non-empty, got {settings!r} and "
                         f"{seeds!r}")
    seeds = [check_seed(s, f"seeds[{i}]") for i, s in enumerate(seeds)]
    return epochs, settings, seeds, xtra_fc  # type: ignore[return-value]


def _stacked(settings: list, seeds: list[int], xtra_fc: list[int], n_features: int,
             n_classes: int) -> _Stacked:
    """The grid's heads stacked, with each head's mask and shuffle generators.

    Each head gets what a :class:`~lecnotes.learner.Learner` with its seed would: the
    same initial weights, then the dropout masks from the random stream those weights
    left.
    """
    heads, ps, masks, shuffles = [], [], [], []
    for setting in settings:
        for seed in seeds:
            with isolated_rng():
                torch.manual_seed(seed)
                heads.append(custom_head(n_features, n_classes, xtra_fc, setting))
                masks.append(torch.Generator().set_state(torch.get_rng_state()))
            ps.append(resolve_ps(setting, xtra_fc))
            shuffles.append(torch.Generator().manual_seed(seed))
    return _Stacked(heads, ps, masks, shuffles)


def _train_epoch(model: _Stacked, opt: torch.optim.Optimizer, x: torch.Tensor,
                 y: torch.Tensor, bs: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One Adam step per mini-batch for every head: running loss, accuracy ``[G]``."""
    n, g = len(y), len(model.masks)
    orders = torch.stack([torch.randperm(n, generator=s) for s in model.shuffles])
    total, correct = (torch.zeros(g, dtype=torch.float64) for _ in range(2))
    seen = 0
    for i in range(0, n, bs):
        idx = orders[:, i : i + bs]
        if idx.shape[1] == 1 and n > 1:
            continue  # BatchNorm cannot train on a batch of one (as in Learner.fit)
        out = model.forward_train(x[idx])
        target = y[idx]
        losses = -out.gather(2, target[..., None]).squeeze(2).mean(1)  # [G]
        opt.zero_grad()
        losses.sum().backward()
        opt.step()
        total += losses.detach().double() * idx.shape[1]
        correct += (out.detach().argmax(2) == target).double().sum(1)
        seen += idx.shape[1]
    return total / seen, correct / seen


def _check_finite(loss: torch.Tensor, what: str, epoch: int, lr: float, wd: float,
                  settings: list, seeds: list[int]) -> None:
    """Refuse heads whose loss blew up, as Learner.fit does, naming the first."""
    bad = (~loss.isfinite()).nonzero().flatten().tolist()
    if bad:
        raise FloatingPointError(
            f"the {what} of {len(bad)} head(s) became {float(loss[bad[0]])} in epoch "
            f"{epoch} (lr={lr}, wd={wd}), first for "
            f"ps={settings[bad[0] // len(seeds)]!r}, "
            f"seed={seeds[bad[0] % len(seeds)]}: their weights are no longer usable "
            "numbers, usually because lr or wd is far too large. Sweep again with a "
            "smaller lr (the book uses 1e-3) or wd.")

