"""Concat pooling: max-pool and average-pool side by side, C channels in, 2C features out."""

import pytest
import torch
from torch import nn

from lecnotes.pooling import AdaptiveConcatPool2d, concat_pool


@pytest.fixture
def x():
    return torch.randn(4, 6, 3, 5, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("shape", [(2, 512, 3, 3), (4, 6, 3, 5), (1, 1, 1, 1), (3, 8, 7, 2)])
def test_shape_doubles_the_channels(shape):
    assert AdaptiveConcatPool2d()(torch.randn(*shape)).shape == (shape[0], 2 * shape[1], 1, 1)


def test_first_half_is_max_second_half_is_mean(x):
    out = AdaptiveConcatPool2d()(x)
    c = x.shape[1]
    torch.testing.assert_close(out[:, :c, 0, 0], x.amax(dim=(2, 3)), rtol=0, atol=0)
    torch.testing.assert_close(out[:, c:, 0, 0], x.mean(dim=(2, 3)))
    # max and mean really differ here, so a swapped order would fail
    assert not torch.allclose(x.amax(dim=(2, 3)), x.mean(dim=(2, 3)))


def test_size_two():
    x = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).reshape(2, 3, 4, 4)
    out = AdaptiveConcatPool2d(2)(x)
    assert out.shape == (2, 6, 2, 2)
    # top-left 2x2 window of channel 0 of image 0 holds 0, 1, 4, 5
    assert out[0, 0, 0, 0].item() == 5.0
    assert out[0, 3, 0, 0].item() == 2.5


def test_concat_pool_flattens(x):
    pool = concat_pool()
    out = pool(x)
    assert out.shape == (4, 12)
    torch.testing.assert_close(out, torch.cat([x.amax(dim=(2, 3)), x.mean(dim=(2, 3))], dim=1))
    assert isinstance(pool[0], AdaptiveConcatPool2d) and isinstance(pool[1], nn.Flatten)


def test_concat_pool_on_a_512_channel_body_gives_1024_features():
    assert concat_pool()(torch.randn(2, 512, 3, 3)).shape == (2, 1024)
    assert concat_pool(2)(torch.randn(2, 5, 4, 4)).shape == (2, 5 * 2 * 2 * 2)


def test_no_parameters_and_gradient_flows(x):
    pool = AdaptiveConcatPool2d()
    assert list(pool.parameters()) == []
    x = x.clone().requires_grad_(True)
    pool(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
