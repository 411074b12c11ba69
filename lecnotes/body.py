"""The pretrained body: the convolutional part of a network, everything before the head.

The lecture used resnet34 pretrained on ImageNet, whose last block has 512 channels. This
book stands in a small conv-BN-ReLU body whose last block also has 512 channels, pretrained
on the source task (see :mod:`lecnotes.pretrain`); its weights ship with the package, next to
a JSON file with their sha256 and the recipe that made them.

A second, bigger body ships too, for the lecture's "bigger models want more dropout (e.g.
resnet50)": the same blocks, but the last one has 2048 channels, as resnet50's has, so concat
pooling hands the head 4096 numbers instead of 1024. Get it with ``pretrained_body("big")``
(or ``pretrained_body(BIG_WEIGHTS)``); its weights are stored in float16 to keep the file small
and are loaded as float32.

:func:`resnet_body` builds the same kind of body from torchvision's resnet family, with random
or ImageNet weights (``pretrained=True``), for the full-size path.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from torch import nn

from ._checks import flag, is_int

WEIGHTS_DIR = Path(__file__).parent / "weights"
WEIGHTS = WEIGHTS_DIR / "small_body.pt"
"""The small body's weights (last block 512 channels, like resnet34's): the default body."""
RECIPE = WEIGHTS_DIR / "small_body.json"
"""The small body's recipe: its weights' sha256, its channels and how it was trained."""
BIG_WEIGHTS = WEIGHTS_DIR / "big_body.pt"
"""The big body's weights (last block 2048 channels, like resnet50's), stored in float16."""
BIG_RECIPE = WEIGHTS_DIR / "big_body.json"
"""The big body's recipe, with the same fields as :data:`RECIPE` and ``"dtype": "float16"``."""

BODIES = ("small", "big")
"""The names of the shipped bodies, which :func:`pretrained_body` takes instead of a file."""


def shipped(name: str) -> tuple[Path, Path]:
    """The weights file and the recipe of a shipped body, by name.

    Looked up when called, so :data:`WEIGHTS` and friends can be pointed elsewhere (as the
    tests do).

    Args:
        name: ``"small"`` (:data:`WEIGHTS`, :data:`RECIPE`) or ``"big"`` (:data:`BIG_WEIGHTS`,
            :data:`BIG_RECIPE`).

    Returns:
        ``(weights, recipe)``.

    Raises:
        ValueError: ``name`` is not one of :data:`BODIES`.

    Example:
        >>> [path.name for path in shipped("big")]
        ['big_body.pt', 'big_body.json']
    """
    files = {"small": (WEIGHTS, RECIPE), "big": (BIG_WEIGHTS, BIG_RECIPE)}
    if name in files:
        return files[name]
    raise ValueError(f"name must be one of {', '.join(map(repr, BODIES))} (a shipped body); got {name!r}")


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
    sizes = (1, *channels)
    return nn.Sequential(*[conv_block(sizes[i], sizes[i + 1], pool=i < len(channels) - 1)
                           for i in range(len(channels))])


def sha256(path: str | Path) -> str:
    """The hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_FIX = ("restore it from git (it ships with lecnotes), or re-run "
        "`python -m lecnotes.pretrain --body small` (or `--body big`), which writes "
        "the weights and their recipe together")


def _bad_recipe(path: Path, what: str) -> ValueError:
    """The error for a recipe that ``what`` says is wrong, and the way to a good one."""
    return ValueError(f"the weights recipe {path} {what}: {_FIX}")


def recipe(path: str | Path | None = None) -> dict:
    """The JSON written beside the weights: sha256, seed, epochs, accuracy reached and more.

    Args:
        path: the JSON file; default :data:`RECIPE`, the shipped one (looked up when called).

    Raises:
        FileNotFoundError: there is no such file.
        ValueError: the file is not a JSON object (truncated, damaged or another file); the
            message names it.

    Example:
        >>> recipe()["channels"]
        [32, 64, 128, 512]
    """
    path = Path(RECIPE if path is None else path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise FileNotFoundError(f"the weights recipe {path} does not exist: {_FIX}") from None
    try:
        info = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad_recipe(path, f"is not valid JSON ({exc}); it may be truncated or "
                          "damaged") from exc
    if not isinstance(info, dict):
        raise _bad_recipe(path, f"holds a JSON {type(info).__name__}, not an object "
                          "with the keys 'sha256' and 'channels'")
    return info


def _loading_recipe(path: Path) -> tuple[str, tuple[int, ...]]:
    """The weights' sha256 and the body's channels, from a recipe checked for both."""
    info = recipe(path)
    missing = [k for k in ("sha256", "channels") if k not in info]
    if missing:
        raise _bad_recipe(path, f"lacks {' and '.join(map(repr, missing))}, which "
                          "loading the weights needs")
    digest, channels = info["sha256"], info["channels"]
    if not isinstance(digest, str) or len(digest) != 64 or set(digest) - set("0123456789abcdef"):
        raise _bad_recipe(path, f"gives 'sha256' as {digest!r}, not 64 lowercase hex "
                          "digits")
    if not isinstance(channels, list) or not channels or not all(is_int(n) and n >= 1 for n in channels):
        raise _bad_recipe(path, f"gives 'channels' as {channels!r}, not a list of "
                          "positive integers (one per conv block)")
    return digest, tuple(channels)


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
            "`python -m lecnotes.pretrain --body small` (or `--body big`)."
        )
    return torch.load(weights, map_location="cpu", weights_only=True)


def pretrained_body(weights: str | Path | None = None,
                    recipe_path: str | Path | None = None) -> nn.Sequential:
    """A pretrained body, frozen (no gradients) and in eval mode (stored BN statistics).

    Its parameters and buffers are float32 whatever the file stores (the big body's are
    float16); ``num_batches_tracked`` stays an integer.

    Args:
        weights: ``None`` or ``"small"`` for :data:`WEIGHTS` (512 channels, like
            resnet34's); ``"big"`` for :data:`BIG_WEIGHTS` (2048, like resnet50's); or a
            ``state_dict`` file written by :mod:`lecnotes.pretrain`.
        recipe_path: the JSON with the weights' sha256 and the body's channels; default the
            ``.json`` beside ``weights``.

    Raises:
        FileNotFoundError: the weights or the recipe do not exist.
        ValueError: ``weights`` is a bare word that names no shipped body and no file,
            or the recipe or the weights are wrong (the message names the file).

    Example:
        >>> pretrained_body()(torch.zeros(1, 1, 28, 28)).shape
        torch.Size([1, 512, 3, 3])
        >>> pretrained_body("big")(torch.zeros(1, 1, 28, 28)).shape
        torch.Size([1, 2048, 3, 3])
    """
    weights, recipe_path = _weights_and_recipe(weights, recipe_path)
    digest, channels = _loading_recipe(recipe_path)
    body = small_body(channels)
    state = {k: v.float() if v.is_floating_point() else v  # the big body's float16
             for k, v in load_checkpoint(weights, digest).items()}
    try:
        body.load_state_dict(state)
    except RuntimeError as exc:  # the recipe's channels are not the weights'
        first = (str(exc).strip().splitlines()[1:2] or [str(exc)])[0].strip()
        raise ValueError(f"the weights {weights} do not fit the channels "
                         f"{list(channels)} that the recipe {recipe_path} gives "
                         f"({first}): {_FIX}") from None
    return freeze(body)


def _weights_and_recipe(weights: str | Path | None,
                        recipe_path: str | Path | None) -> tuple[Path, Path]:
    """The weights file and its recipe that :func:`pretrained_body`'s arguments name.

    The shipped files are looked up when called, not when imported. A recipe left out
    is the ``.json`` beside the weights, which must then exist.
    """
    name = "small" if weights is None else _body_name(weights)
    if name is not None:
        weights, default_recipe = shipped(name)
    else:
        weights = Path(weights)  # type: ignore[arg-type]
        default_recipe = weights.with_suffix(".json")
    if recipe_path is not None:
        return weights, Path(recipe_path)
    if not default_recipe.is_file():
        raise FileNotFoundError(
            f"there is no recipe {default_recipe} beside the weights {weights}: "
            "pretrained_body needs the JSON that `python -m lecnotes.pretrain` writes "
            "next to the weights (their sha256 and the body's channels). Put it there, "
            "or pass recipe_path= to name it.")
    return weights, default_recipe


def _body_name(weights: str | Path) -> str | None:
    """The shipped body ``weights`` names, or ``None`` when it is a file's path.

    A string is a name when it is one of :data:`BODIES`; a bare word (no folder, no suffix)
    that is neither a name nor an existing file is taken as a mistyped name.
    """
    if not isinstance(weights, str):
        return None
    if weights in BODIES:
        return weights
    path = Path(weights)
    if path.name == weights and not path.suffix and not path.exists():
        raise ValueError(f"weights must be one of {', '.join(map(repr, BODIES))} (a shipped body) or a "
                         f"weights file written by `python -m lecnotes.pretrain`; got {weights!r}, which is "
                         "neither")
    return None


def freeze(module: nn.Module) -> nn.Module:
    """Turn off gradients for every parameter and put the module in eval mode; returns it."""
    return module.requires_grad_(False).eval()


IMAGENET_WEIGHTS = "IMAGENET1K_V1"
"""torchvision's name for the ImageNet weights of its resnets that ``pretrained=True`` loads."""


def resnet_body(arch: str = "resnet34", weights: str | None = None,
                pretrained: bool = False) -> nn.Sequential:
    """A torchvision resnet cut before its pooling and fc layers, as fastai 0.7 cut it.

    Not frozen: :class:`~lecnotes.learner.Learner` freezes it. torchvision downloads the
    weights once, into ``torch.hub.get_dir()/checkpoints``.

    Args:
        arch: one of :data:`RESNETS`.
        weights: torchvision's weights name (e.g. ``"IMAGENET1K_V1"``), or ``None`` for random
            weights (what works offline).
        pretrained: ``True`` for :data:`IMAGENET_WEIGHTS`, the lecture's weights.

    Raises:
        ValueError: a wrong argument, or both ``weights`` and ``pretrained=True``.
        RuntimeError: no download; the message says where to put the weights.

    Shape: ``[N, 3, H, W]`` to ``[N, 512, H/32, W/32]`` (2048 channels for resnet50 and up).

    Example:
        >>> resnet_body("resnet18")(torch.zeros(1, 3, 64, 64)).shape
        torch.Size([1, 512, 2, 2])
    """
    import torchvision

    weights = _resnet_weights(arch, weights, pretrained)
    builder = getattr(torchvision.models, arch)
    try:
        model = builder(weights=weights)
    except (OSError, RuntimeError) as exc:  # URLError is an OSError
        if weights is None:
            raise
        url = torchvision.models.get_model_weights(builder).verify(weights).url
        folder = Path(torch.hub.get_dir()) / "checkpoints"
        raise RuntimeError(
            f"could not get the ImageNet weights of {arch} ({exc}). Download {url} "
            f"on a machine with internet and put it at {folder / Path(url).name}; "
            "torchvision will then load it from there.") from exc
    return nn.Sequential(*list(model.children())[:-2])


RESNETS = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152")
"""The torchvision resnets :func:`resnet_body` cuts."""


def _resnet_weights(arch: str, weights: str | None, pretrained: bool) -> str | None:
    """The torchvision weights :func:`resnet_body`'s arguments name, or ``None``."""
    import torchvision

    if arch not in RESNETS:
        raise ValueError(f"arch must be one of {', '.join(RESNETS)}; got {arch!r}")
    if flag(pretrained, "pretrained", "load the ImageNet weights"):
        if weights is not None:
            raise ValueError(f"give weights= or pretrained=True, not both: got "
                             f"weights={weights!r} and pretrained=True (which means "
                             f"weights={IMAGENET_WEIGHTS!r})")
        weights = IMAGENET_WEIGHTS
    builder = getattr(torchvision.models, arch)
    known = [w.name for w in torchvision.models.get_model_weights(builder)]
    if weights is not None and getattr(weights, "name", weights) not in known:
        raise ValueError(f"weights must be None (random weights) or one of "
                         f"torchvision's names for {arch}'s weights, "
                         f"{', '.join(map(repr, known))}; got {weights!r}")
    return weights
