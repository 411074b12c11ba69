"""Concat pooling: max-pool and average-pool side by side, C channels in, 2C features out."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lecnotes.pooling import AdaptiveConcatPool2d, concat_pool

# reproducible and quick: the same examples on every run, no example database written to disk
FAST = settings(max_examples=40, deadline=None, derandomize=True, database=None)


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


# ---- unbatched input [C, H, W], as PyTorch's own pooling layers take it ----

def torch_concat(x: torch.Tensor, size: int) -> torch.Tensor:
    """What concat pooling must give: torch's max and average pools, joined along the channels (dim -3)."""
    return torch.cat([nn.AdaptiveMaxPool2d(size)(x), nn.AdaptiveAvgPool2d(size)(x)], dim=-3)


@pytest.mark.parametrize("size", [1, 2])
def test_unbatched_input_is_pooled_along_the_channels_as_torch_pools_it(size):
    x = torch.randn(3, 4, 5, generator=torch.Generator().manual_seed(1))
    out = AdaptiveConcatPool2d(size)(x)
    assert out.shape == (6, size, size)
    torch.testing.assert_close(out, torch_concat(x, size), rtol=0, atol=0)
    torch.testing.assert_close(out, AdaptiveConcatPool2d(size)(x[None])[0], rtol=0, atol=0)


@pytest.mark.parametrize("size", [1, 2])
def test_batched_input_matches_torch_pools(size):
    x = torch.randn(2, 3, 4, 5, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(AdaptiveConcatPool2d(size)(x), torch_concat(x, size), rtol=0, atol=0)


@given(n=st.integers(1, 4), c=st.integers(1, 6), h=st.integers(1, 9), w=st.integers(1, 9),
       size=st.integers(1, 3), seed=st.integers(0, 2**16))
@FAST
def test_shapes_for_batched_and_unbatched_inputs_of_any_size(n, c, h, w, size, seed):
    x = torch.randn(n, c, h, w, generator=torch.Generator().manual_seed(seed))
    pool = AdaptiveConcatPool2d(size)
    batched, unbatched = pool(x), pool(x[0])
    assert batched.shape == (n, 2 * c, size, size)
    assert unbatched.shape == (2 * c, size, size)
    torch.testing.assert_close(batched, torch_concat(x, size), rtol=0, atol=0)
    torch.testing.assert_close(unbatched, batched[0], rtol=0, atol=0)


# ---- the size is a positive integer; the input a float tensor of images' channels ----

def test_pooling_size_zero_is_refused_rather_than_giving_no_features():
    with pytest.raises(ValueError, match=r"size must be a positive integer .* got 0"):
        AdaptiveConcatPool2d(0)


@pytest.mark.parametrize("size", [-1, 1.5, None, "a", True])
def test_pooling_sizes_that_are_not_positive_integers_are_named(size):
    with pytest.raises(ValueError, match=r"size must be a positive integer \(the pooled output's"):
        concat_pool(size)


def test_numpy_integers_are_accepted_as_the_pooling_size(x):
    assert torch.equal(concat_pool(np.int64(2))(x), concat_pool(2)(x))


pool_dtypes = st.sampled_from([torch.float16, torch.float32, torch.float64, torch.complex64,
                               torch.uint8, torch.int32, torch.bool])


@FAST
@given(dtype=pool_dtypes, shape=st.lists(st.integers(0, 4), max_size=5), size=st.integers(1, 3))
def test_any_tensor_gives_pooled_features_or_a_named_type_error(dtype, shape, size):
    x = torch.ones(shape, dtype=dtype)
    try:
        out = AdaptiveConcatPool2d(size)(x)
    except TypeError as err:
        assert "concat pooling needs a floating-point tensor [N, C, H, W] or [C, H, W]" in str(err)
        return
    assert out.shape[-3:] == (2 * x.shape[-3], size, size) and out.dtype == dtype


@pytest.mark.parametrize("shape", [(2, 3, 0, 4), (3, 4, 0), (2, 0, 2, 2)])
def test_empty_channels_or_sides_are_refused_with_a_type_error(shape):
    with pytest.raises(TypeError, match=r"C, H, W >= 1 .* got torch.float32"):
        AdaptiveConcatPool2d()(torch.zeros(shape))


def test_a_list_is_refused_with_a_type_error():
    with pytest.raises(TypeError, match=r"concat pooling needs a floating-point tensor .* got list"):
        AdaptiveConcatPool2d()([[1.0]])
