"""Pretrain the small body on the source task and store its weights with their recipe.

Run ``python -m lecnotes.pretrain`` (or ``make pretrain``). It trains ``small_body()`` with a
temporary linear classifier on the source task (sandal, shirt, sneaker, bag, ankle boot),
then writes ``weights/small_body.pt`` (the body's ``state_dict``) and ``weights/small_body.json``
(its sha256, the seed, epochs, learning rate, thread count and the source-task accuracy it
reached). The classifier is thrown away: the book puts its own heads on the body.

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

from .body import RECIPE, WEIGHTS, sha256, small_body
from .data import source_task
from .pooling import concat_pool
from .repro import setup


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


def save(body: nn.Module, info: dict, weights: Path = WEIGHTS, recipe: Path = RECIPE) -> dict:
    """Write the ``state_dict`` and the recipe JSON (with the weights' sha256)."""
    weights.parent.mkdir(parents=True, exist_ok=True)
    torch.save(body.state_dict(), weights)
    info = {"sha256": sha256(weights), **info}
    recipe.write_text(json.dumps(info, indent=2) + "\n")
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lecnotes.pretrain", description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    body, info = train_body(epochs=args.epochs, seed=args.seed)
    info = save(body, info)
    print(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
