"""The custom head: the layers fastai 0.7 put on top of a pretrained body.

``custom_head`` builds exactly the sequence fastai 0.7's ``ConvLearner.pretrained`` built
(and that typing ``learn`` printed in the lecture): for each layer ``BatchNorm1d``, then
``Dropout`` when its p is above 0, then ``Linear``; ``ReLU`` after every extra layer and
``LogSoftmax`` after the last. Unlike fastai 0.7 it checks its arguments and says what is
wrong. Sizes may be Python's or numpy's integers, and p Python's or numpy's numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from ._checks import a_list, flag, positive_int, probability


def default_ps(xtra_fc: Sequence[int]) -> list[float]:
    """fastai's default dropout probabilities: 0.25 for every extra layer, 0.5 for the last.

    This is the rule fastai adopted in April 2018; for the default ``xtra_fc=[512]`` it gives
    the lecture's ``[0.25, 0.5]``.

    Example:
        >>> default_ps([512])
        [0.25, 0.5]
        >>> default_ps([])
        [0.5]
    """
    return [0.25] * len(a_list(xtra_fc, "xtra_fc", "the sizes of the extra layers")) + [0.5]


def _size(n: object, where: str) -> int:
    return positive_int(n, where, "a layer size")  # type: ignore[return-value]


def resolve_ps(ps: float | Sequence[float] | None, xtra_fc: Sequence[int]) -> list[float]:
    """Turn the ``ps`` argument into one dropout probability per linear layer.

    Args:
        ps: ``None`` for :func:`default_ps`; a number, used for every layer; or a list or
            tuple with exactly ``len(xtra_fc) + 1`` numbers, one per layer, the last for the
            final layer.
        xtra_fc: the sizes of the extra layers.

    Raises:
        ValueError: a list or tuple of the wrong length, or a p outside [0, 1).

    Example:
        >>> resolve_ps(0.1, [512, 256])
        [0.1, 0.1, 0.1]
    """
    n_layers = len(xtra_fc) + 1
    if ps is None:
        return default_ps(xtra_fc)
    if isinstance(ps, (list, tuple)):
        if len(ps) != n_layers:
            raise ValueError(
                f"ps has {len(ps)} value(s) but the head has {n_layers} linear layer(s) "
                f"(len(xtra_fc) + 1 = {len(xtra_fc)} + 1): give one p per layer, a single "
                f"number for all of them, or None for the default {default_ps(xtra_fc)}"
            )
        return [probability(p, f"ps[{i}]") for i, p in enumerate(ps)]
    return [probability(ps, "ps")] * n_layers


def custom_head(n_features: int, n_classes: int, xtra_fc: Sequence[int] | None = None,
                ps: float | Sequence[float] | None = None) -> nn.Sequential:
    """Build fastai 0.7's head for a pretrained body.

    Args:
        n_features: numbers per image coming out of the body and concat pooling (1024
            for a 512-channel body).
        n_classes: number of classes; the last Linear layer has this many outputs.
        xtra_fc: sizes of the extra linear layers before the final one ("extra fully
            connected"). ``None`` means the default ``[512]``; ``[]`` keeps only the
            final layer.
        ps: dropout probability for each linear layer, as :func:`resolve_ps` reads it:
            the share of that layer's inputs zeroed at random in each mini-batch while
            training. A p of 0 leaves that Dropout out.

    Shape: ``[N, n_features]`` to ``[N, n_classes]`` log-probabilities.

    Raises:
        ValueError: a size that is not a positive integer, a p outside [0, 1), or a
            ``ps`` list of the wrong length. The message names the argument.

    Example:
        >>> head = custom_head(1024, 5)
        >>> [type(m).__name__ for m in head]
        ['BatchNorm1d', 'Dropout', 'Linear', 'ReLU', 'BatchNorm1d', 'Dropout', 'Linear', 'LogSoftmax']
    """
    dims = _layer_sizes(n_features, n_classes, xtra_fc)
    layers: list[nn.Module] = []
    for i, p in enumerate(resolve_ps(ps, dims[1:-1])):
        layers.append(nn.BatchNorm1d(dims[i]))
        if p > 0:
            layers.append(nn.Dropout(p))
        layers.append(nn.Linear(dims[i], dims[i + 1]))
        layers.append(nn.LogSoftmax(dim=1) if i == len(dims) - 2 else nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def _layer_sizes(n_features: object, n_classes: object, xtra_fc: object) -> list[int]:
    """The head's sizes, checked: ``[n_features, *xtra_fc, n_classes]``."""
    n_features = _size(n_features, "n_features")
    n_classes = _size(n_classes, "n_classes")
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}: with one "
                         "class every prediction is right, so the head learns nothing "
                         "(loss 0, accuracy 1)")
    xtra_fc = [512] if xtra_fc is None else xtra_fc
    if not isinstance(xtra_fc, (list, tuple)):
        raise ValueError(f"xtra_fc must be a list of layer sizes (possibly empty), got "
                         f"{xtra_fc!r}")
    return [n_features, *(_size(n, f"xtra_fc[{i}]") for i, n in enumerate(xtra_fc)),
            n_classes]


def n_params(module: nn.Module, trainable_only: bool = False) -> int:
    """Count the parameters of a module (only those with ``requires_grad`` if asked).

    Example:
        >>> n_params(nn.Linear(1024, 512))
        524800
    """
    trainable_only = flag(trainable_only, "trainable_only", "count only parameters with requires_grad")
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
