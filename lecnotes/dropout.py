"""Dropout, written out: the book's from-scratch version and a broken one for comparison.

PyTorch's ``nn.Dropout(p)`` zeroes each element with probability p while training and
multiplies the survivors by ``1 / (1 - p)`` ("inverted dropout"), so every element keeps its
expected value; in eval mode it passes the input through unchanged.

Like ``nn.Dropout``, these accept any real p with ``0 <= p < 1``, Python's or numpy's
(``np.float32(0.5)``), and refuse integer tensors: dropping and rescaling makes fractions.
"""

from __future__ import annotations

import torch
from torch import nn

from ._checks import a_list, flag, is_int, probability


def dropout_mask(shape: torch.Size | tuple[int, ...], p: float,
                 generator: torch.Generator | None = None,
                 device: torch.device | str | None = None) -> torch.Tensor:
    """A random keep-mask: ``True`` where an element survives, with probability ``1 - p``.

    Uses ``torch.rand``, so a seeded generator gives the same mask on any machine.

    Args:
        shape: the mask's shape (that of the activations).
        p: probability of dropping each element, ``0 <= p < 1``.
        generator: a seeded ``torch.Generator`` for a repeatable mask; it must live on ``device``.
        device: where the mask is drawn (default the CPU); :func:`dropout` passes its input's.

    Returns:
        A ``bool`` tensor of ``shape`` on ``device``.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> dropout_mask((2, 4), 0.5, g).shape
        torch.Size([2, 4])
    """
    sizes = a_list(shape, "shape", "the mask's shape, e.g. x.shape")
    if not all(is_int(n) and n >= 0 for n in sizes):
        raise ValueError(f"shape must hold whole numbers >= 0 (the mask's size along each axis), "
                         f"got {tuple(sizes)!r}")
    return torch.rand(sizes, generator=generator, device=device) >= probability(p, "p")


def dropout(x: torch.Tensor, p: float = 0.5, training: bool = True, rescale: bool = True,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """Inverted dropout from scratch.

    Args:
        x: any tensor of activations.
        p: probability of zeroing each element (PyTorch's meaning; the 2014 paper's p is the
            probability of *keeping* one).
        training: when False, return ``x`` unchanged (what ``eval()`` mode does).
        rescale: multiply survivors by ``1 / (1 - p)``. ``False`` gives the broken variant
            that shrinks the mean to ``(1 - p)`` of its value; chapter 4 measures what that does.
        generator: a seeded ``torch.Generator`` for a repeatable mask, on ``x``'s device (the mask
            is drawn there, so a CUDA tensor needs a CUDA generator).

    Returns:
        A tensor of ``x``'s shape, dtype and device; ``x`` itself when not training or ``p == 0``.

    Raises:
        ValueError: ``p`` is not a number with ``0 <= p < 1``, or ``training`` or ``rescale`` is
            not a bool.
        TypeError: ``x`` is not a tensor, or holds integers or bools (even when not training,
            so the mistake shows at once); convert it with ``x.float()``.

    Shape: output has the shape of ``x``.

    Example:
        >>> x = torch.ones(4)
        >>> g = torch.Generator().manual_seed(1)
        >>> dropout(x, 0.5, generator=g)
        tensor([2., 0., 0., 2.])
    """
    p = probability(p, "p")
    _check_activations(x)
    training = flag(training, "training", "drop while training; False passes x through")
    rescale = flag(rescale, "rescale", "scale the survivors by 1 / (1 - p)")
    if not training or p == 0:
        return x
    keep = dropout_mask(x.shape, p, generator, device=x.device).to(x.dtype)
    return x * keep / (1 - p) if rescale else x * keep


def _check_activations(x: object) -> None:
    """A tensor dropout can rescale: floating point (or complex), never integers or bools."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"dropout needs a torch tensor x (activations), got {type(x).__name__}; "
                        "convert it first with torch.as_tensor(x, dtype=torch.float32)")
    if not (x.is_floating_point() or x.is_complex()):
        raise TypeError(
            f"dropout needs a floating-point tensor x (activations), got dtype {x.dtype}: rescaling "
            "the survivors by 1 / (1 - p) makes fractions. Convert it first with x.float()."
        )


class Dropout(nn.Module):
    """:func:`dropout` as a module: on in ``train()`` mode, the identity in ``eval()`` mode.

    Args:
        p: probability of zeroing each element, ``0 <= p < 1``.
        rescale: scale survivors by ``1 / (1 - p)`` (True, as ``nn.Dropout`` does) or not.

    Shape: any; output has the input's shape.

    Example:
        >>> d = Dropout(0.2).eval()
        >>> d(torch.ones(3))
        tensor([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, rescale: bool = True) -> None:
        super().__init__()
        self.p = probability(p, "p")
        self.rescale = flag(rescale, "rescale", "scale the survivors by 1 / (1 - p)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x, self.p, self.training, self.rescale)

    def extra_repr(self) -> str:
        return f"p={self.p}" + ("" if self.rescale else ", rescale=False")
