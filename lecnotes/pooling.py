"""Concat pooling: what sits between the body and the head.

fastai 0.7 replaced resnet's average pool with ``AdaptiveConcatPool2d``: an adaptive max-pool
and an adaptive average-pool side by side, concatenated along the channels. A body ending in
C channels therefore hands the head 2C numbers per image: 2 x 512 = 1024 for resnet34 and for
this book's small body, 2 x 2048 = 4096 for resnet50 and for its big body.
"""

from __future__ import annotations

import torch
from torch import nn

from ._checks import positive_int


class AdaptiveConcatPool2d(nn.Module):
    """Max-pool and average-pool each channel to ``size``, then concatenate them.

    The max-pooled channels come first, then the average-pooled ones (fastai's order).

    Args:
        size: the output's height and width.

    Shape: ``[N, C, H, W]`` to ``[N, 2C, size, size]``; a single image without the batch
    dimension, ``[C, H, W]``, to ``[2C, size, size]``, as PyTorch's pooling layers take it.

    Example:
        >>> pool = AdaptiveConcatPool2d()
        >>> pool(torch.zeros(4, 512, 3, 3)).shape
        torch.Size([4, 1024, 1, 1])
        >>> pool(torch.zeros(512, 3, 3)).shape
        torch.Size([1024, 1, 1])
    """

    def __init__(self, size: int = 1) -> None:
        super().__init__()
        self.size = positive_int(size, "size", "the pooled output's height and width")
        self.max = nn.AdaptiveMaxPool2d(self.size)
        self.avg = nn.AdaptiveAvgPool2d(self.size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() not in (3, 4) or not x.is_floating_point() \
                or 0 in x.shape[-3:]:
            what = f"{x.dtype} {list(x.shape)}" if isinstance(x, torch.Tensor) else type(x).__name__
            raise TypeError(f"concat pooling needs a floating-point tensor [N, C, H, W] or [C, H, W] "
                            f"with C, H, W >= 1 (a body's output), got {what}")
        # the channels are dim -3 both in [N, C, H, W] and in an unbatched [C, H, W]
        return torch.cat([self.max(x), self.avg(x)], dim=-3)


def concat_pool(size: int = 1) -> nn.Sequential:
    """``AdaptiveConcatPool2d`` followed by ``Flatten``: what turns a body's output into features.

    Shape: ``[N, C, H, W]`` to ``[N, 2C * size * size]``.

    Example:
        >>> concat_pool()(torch.zeros(4, 512, 3, 3)).shape
        torch.Size([4, 1024])
    """
    return nn.Sequential(AdaptiveConcatPool2d(size), nn.Flatten())
