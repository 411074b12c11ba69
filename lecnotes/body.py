"""The pretrained body: the convolutional part of a network, everything before the head.

The lecture used resnet34 pretrained on ImageNet, whose last block has 512 channels. This
book stands in a small conv-BN-ReLU body whose last block also has 512 channels, pretrained
on the source task (see :mod:`lecnotes.pretrain`); its weights ship with the package, next to
a JSON file with their sha256 and the recipe that made them.

:func:`resnet_body` builds the same kind of body from torchvision's resnet family, for the
full-size path.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from torch import nn

WEIGHTS_DIR = Path(__file__).parent / "weights"
WEIGHTS = WEIGHTS_DIR / "small_body.pt"
RECIPE = WEIGHTS_DIR / "small_body.json"


def conv_block(n_in: int, n_out: int, pool: bool = True) -> nn.Sequential:
    """Conv 3x3 (no bias) - BatchNorm2d - ReLU, then a 2x2 max-pool when ``pool``.

    Shape: ``[N, n_in, H, W]`` to ``[N, n_out, H // 2, W // 2]`` (or ``H, W`` without pool).
    """
    layers: list[nn.Module] = [nn.Conv2d(n_in, n_out, 3, padding=1, bias=False),
                               nn.BatchNorm2d(n_out), nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


def small_body(channels: tuple[int, ...] = (32, 64, 128, 512)) -> nn.Sequential:
    """A small CNN body: one :func:`conv_block` per entry of ``channels``.

    All blocks but the last halve the image, so a 28 x 28 image leaves the default body as
    512 channels of 3 x 3.

    Shape: ``[N, 1, 28, 28]`` to ``[N, channels[-1], 3, 3]``.

    Example:
        >>> small_body()(torch.zeros(2, 1, 28, 28)).shape
        torch.Size([2, 512, 3, 3])
    """
    blocks, n_in = [], 1
    for i, n_out in enumerate(channels):
        blocks.append(conv_block(n_in, n_out, pool=i < len(channels) - 1))
        n_in = n_out
    return nn.Sequential(*blocks)


def sha256(path: str | Path) -> str:
    """The hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def recipe(path: str | Path = RECIPE) -> dict:
    """The JSON written beside the weights: sha256, seed, epochs, accuracy reached and more."""
    return json.loads(Path(path).read_text())


def load_checkpoint(weights: str | Path, expected_sha256: str) -> dict[str, torch.Tensor]:
    """Load a ``state_dict`` after checking the file's sha256; refuse it on a mismatch.

    Loads with ``torch.load(weights_only=True)``, which unpickles tensors only, never code.

    Raises:
        ValueError: the file's sha256 is not ``expected_sha256``.
    """
    actual = sha256(weights)
    if actual != expected_sha256:
        raise ValueError(
            f"refusing {weights}: its sha256 is {actual}, expected {expected_sha256}. "
            "The file is damaged or not the published one; restore it from git or re-run "
            "`python -m lecnotes.pretrain`."
        )
    return torch.load(weights, map_location="cpu", weights_only=True)


def pretrained_body(weights: str | Path = WEIGHTS, recipe_path: str | Path = RECIPE) -> nn.Sequential:
    """The small body with the shipped pretrained weights, frozen and in eval mode.

    Frozen means ``requires_grad=False`` on every parameter, so no optimiser changes it;
    eval mode means BatchNorm uses its stored statistics.

    Shape: ``[N, 1, 28, 28]`` to ``[N, 512, 3, 3]``.

    Example:
        >>> body = pretrained_body()
        >>> body(torch.zeros(1, 1, 28, 28)).shape
        torch.Size([1, 512, 3, 3])
    """
    info = recipe(recipe_path)
    body = small_body(tuple(info["channels"]))
    body.load_state_dict(load_checkpoint(weights, info["sha256"]))
    return freeze(body)


def freeze(module: nn.Module) -> nn.Module:
    """Turn off gradients for every parameter and put the module in eval mode; returns it."""
    for p in module.parameters():
        p.requires_grad_(False)
    return module.eval()


def resnet_body(arch: str = "resnet34", weights: str | None = None) -> nn.Sequential:
    """A torchvision resnet cut before its pooling and fc layers, as fastai 0.7 cut it.

    Args:
        arch: a torchvision resnet, one of ``resnet18``, ``resnet34``, ``resnet50``,
            ``resnet101``, ``resnet152``.
        weights: torchvision's weights name (e.g. ``"IMAGENET1K_V1"``), or ``None`` for random
            weights (what works offline).

    Shape: ``[N, 3, H, W]`` to ``[N, 512, H/32, W/32]`` (2048 channels for resnet50 and up).

    Example:
        >>> resnet_body("resnet18")(torch.zeros(1, 3, 64, 64)).shape
        torch.Size([1, 512, 2, 2])
    """
    import torchvision

    allowed = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152")
    if arch not in allowed:
        raise ValueError(f"arch must be one of {', '.join(allowed)}; got {arch!r}")
    model = getattr(torchvision.models, arch)(weights=weights)
    return nn.Sequential(*list(model.children())[:-2])


def out_channels(body: nn.Module, in_shape: tuple[int, ...] = (1, 28, 28)) -> int:
    """Number of channels the body outputs, found by running one zero image through it."""
    modes = [(m, m.training) for m in body.modules()]
    body.eval()
    with torch.no_grad():
        c = body(torch.zeros(1, *in_shape)).shape[1]
    for m, training in modes:
        m.training = training
    return int(c)
