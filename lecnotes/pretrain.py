"""Pretrain the shipped bodies on the source task and store their weights with their recipes.

Run ``python -m lecnotes.pretrain --body small``, ``--body big`` or ``--body both`` (``make pretrain`` runs
both). It trains the body (:data:`SPECS`: ``small_body((32, 64, 128, 512))`` or
``small_body((32, 64, 128, 2048))``) with a temporary linear classifier on the source task
(sandal, shirt, sneaker, bag, ankle boot), then writes ``weights/small_body.pt`` or
``weights/big_body.pt`` (the body's ``state_dict``) and the ``.json`` beside it (its sha256,
channels, dtype, the seed, epochs, learning rate, thread count and the source-task accuracy
it reached). The classifier is thrown away: the book puts its own heads on the body.

Both bodies share one recipe (1 epoch, Adam with a one-cycle schedule, lr 2e-3, batches of
128, seed 0). The big body's ``state_dict`` is stored in float16, which halves its file (about
5 MB instead of 10); :func:`~lecnotes.body.pretrained_body` loads it back as float32.

The weights committed with the book came from this script; a rerun on another CPU or thread
count gives slightly different weights (and a different sha256).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .body import BODIES, RECIPE, WEIGHTS, sha256, shipped, small_body
from .data import source_task
from .pooling import concat_pool
from .repro import setup

SPECS: dict[str, dict] = {
    "small": {"channels": (32, 64, 128, 512), "dtype": "float32"},
    "big": {"channels": (32, 64, 128, 2048), "dtype": "float16"},
}
"""Each shipped body's channels and the dtype its weights are stored in; the rest of the
recipe is :func:`train_body`'s defaults, the same for both."""

DTYPES = {"float32": torch.float32, "float16": torch.float16}
"""The dtypes :func:`save` can store a body's floating-point tensors in."""


def train_body(epochs: int = 1, lr: float = 2e-3, bs: int = 128, seed: int = 0,
               channels: tuple[int, ...] = (32, 64, 128, 512), log: bool = True
               ) -> tuple[nn.Sequential, dict]:
    """Train ``small_body(channels)`` plus a linear classifier on the source task.

    Returns:
        ``(body, info)``: the trained body (eval mode) and a dict with the recipe and the
        validation accuracy reached on the source task.
    """
    setup(seed)
    task = source_task(seed=seed)
    body = small_body(channels)
    model = nn.Sequential(body, concat_pool(), nn.Linear(2 * channels[-1], task.c))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * ((len(task.train_y) + bs - 1) // bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    g = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(task.train_y), generator=g)
        for i in range(0, len(order), bs):
            idx = order[i : i + bs]
            loss = F.cross_entropy(model(task.transform(task.train_x[idx])), task.train_y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        acc = accuracy(model, task.valid_x, task.valid_y, task.transform)
        if log:
            print(f"epoch {epoch + 1}/{epochs}: source-task validation accuracy {acc:.4f}")
    info = {
        "channels": list(channels), "seed": seed, "epochs": epochs, "lr": lr, "bs": bs,
        "optimizer": "Adam with one-cycle schedule", "threads": torch.get_num_threads(),
        "torch": torch.__version__, "source_classes": list(task.classes),
        "n_train": len(task.train_y), "n_valid": len(task.valid_y),
        "source_valid_accuracy": round(acc, 4),
        "train_seconds": round(time.perf_counter() - start, 1),
    }
    return body.eval(), info


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, transform) -> float:
    """Share of ``x`` that ``model`` classifies as ``y``, in eval mode, in batches of 1000."""
    model.eval()
    correct = sum(int((model(transform(x[i : i + 1000])).argmax(1) == y[i : i + 1000]).sum())
                  for i in range(0, len(y), 1000))
    return correct / len(y)


def save(body: nn.Module, info: dict, weights: Path = WEIGHTS, recipe: Path = RECIPE,
         dtype: str = "float32") -> dict:
    """Write the ``state_dict`` and the recipe JSON (with the weights' sha256 and dtype).

    Args:
        body: the trained body.
        info: the recipe from :func:`train_body`.
        weights, recipe: where to write them; default the small body's shipped files.
        dtype: ``"float32"``, or ``"float16"`` to halve the file: the floating-point tensors
            (weights, BatchNorm's running statistics) are rounded to float16, the integer ones
            (``num_batches_tracked``) stay as they are. The body itself is not changed.

    Returns:
        The recipe as written: ``info`` with ``sha256`` first and ``dtype``.

    Raises:
        ValueError: ``dtype`` is not one of :data:`DTYPES`.

    Example:
        >>> import tempfile
        >>> from lecnotes.body import pretrained_body
        >>> folder = Path(tempfile.mkdtemp())
        >>> info = save(small_body((4, 8)), {"channels": [4, 8]}, folder / "b.pt", folder / "b.json",
        ...             dtype="float16")
        >>> info["dtype"], torch.load(folder / "b.pt")["0.0.weight"].dtype
        ('float16', torch.float16)
        >>> pretrained_body(folder / "b.pt")[0][0].weight.dtype
        torch.float32
    """
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(map(repr, DTYPES))}; got {dtype!r}")
    weights.parent.mkdir(parents=True, exist_ok=True)
    state = body.state_dict()
    for key, value in state.items():  # in place, so the state_dict keeps its _metadata
        if value.is_floating_point():
            state[key] = value.to(DTYPES[dtype])
    torch.save(state, weights)
    info = {"sha256": sha256(weights), **info, "dtype": dtype}
    recipe.write_text(json.dumps(info, indent=2) + "\n")
    return info


def pretrain(name: str, epochs: int = 1, seed: int = 0, log: bool = True) -> dict:
    """Train a shipped body (:data:`SPECS`) and write its weights and recipe where it ships.

    Args:
        name: ``"small"`` or ``"big"``.
        epochs, seed: as for :func:`train_body`.
        log: print the accuracy after each epoch.

    Returns:
        The recipe as written.
    """
    weights, recipe = shipped(name)
    body, info = train_body(epochs=epochs, seed=seed, channels=SPECS[name]["channels"], log=log)
    return save(body, info, weights, recipe, dtype=SPECS[name]["dtype"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lecnotes.pretrain", description=__doc__.split("\n")[0])
    parser.add_argument("--body", choices=(*BODIES, "both"), required=True,
                        help="which shipped body to re-train ('both': one after the other). Required, "
                             "so that no one re-trains the small body by accident: the chapters' "
                             "stored results depend on its weights")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for name in BODIES if args.body == "both" else (args.body,):
        print(f"{name} body:")
        print(json.dumps(pretrain(name, epochs=args.epochs, seed=args.seed), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
