"""Dropout from scratch: the share dropped, the rescaling, the modes, and agreement with nn.Dropout."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lecnotes.dropout import Dropout, dropout, dropout_mask
from lecnotes.head import custom_head

N = 1_000_000


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def x():
    # strictly positive, so a zero in the output can only come from dropping
    return torch.rand(N, generator=gen(123)) + 0.5


@pytest.mark.parametrize("p", [0.1, 0.25, 0.5, 0.8])
def test_share_of_zeros_is_close_to_p(x, p):
    out = dropout(x, p, generator=gen(1))
    share = (out == 0).float().mean().item()
    sigma = math.sqrt(p * (1 - p) / N)
    assert abs(share - p) < 6 * sigma


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_mean_is_kept(x, p):
    out = dropout(x, p, generator=gen(2))
    assert out.mean().item() == pytest.approx(x.mean().item(), rel=0.01)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.75])
def test_survivors_are_scaled_by_one_over_one_minus_p(x, p):
    out = dropout(x, p, generator=gen(3))
    kept = out != 0
    assert kept.any() and (~kept).any()
    torch.testing.assert_close(out[kept], x[kept] / (1 - p))


def test_p_half_doubles_survivors_exactly():
    out = dropout(torch.ones(1000), 0.5, generator=gen(4))
    assert set(out.unique().tolist()) == {0.0, 2.0}


def test_rescale_false_keeps_survivors_unscaled_and_shrinks_the_mean(x):
    p = 0.4
    out = dropout(x, p, rescale=False, generator=gen(5))
    kept = out != 0
    assert torch.equal(out[kept], x[kept])
    assert out.mean().item() == pytest.approx((1 - p) * x.mean().item(), rel=0.01)


def test_rescale_false_uses_the_same_mask():
    a = dropout(torch.ones(100), 0.3, generator=gen(6))
    b = dropout(torch.ones(100), 0.3, rescale=False, generator=gen(6))
    assert torch.equal(a == 0, b == 0)


def test_identity_when_not_training(x):
    out = dropout(x, 0.5, training=False)
    assert torch.equal(out, x)


def test_identity_for_p_zero(x):
    out = dropout(x, 0.0)
    assert torch.equal(out, x)
    assert torch.equal(dropout(x, 0, generator=gen(0)), x)


def test_same_seeded_generator_gives_the_same_mask():
    x = torch.randn(50, 40)
    a = dropout(x, 0.5, generator=gen(7))
    b = dropout(x, 0.5, generator=gen(7))
    c = dropout(x, 0.5, generator=gen(8))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert torch.equal(dropout_mask((50, 40), 0.5, gen(7)), dropout_mask((50, 40), 0.5, gen(7)))


def test_mask_keeps_with_probability_one_minus_p():
    m = dropout_mask((N,), 0.3, gen(9))
    assert m.dtype == torch.bool and m.shape == (N,)
    assert m.float().mean().item() == pytest.approx(0.7, abs=0.003)


def test_shape_and_dtype_are_kept():
    x = torch.randn(3, 4, 5, dtype=torch.float64)
    out = dropout(x, 0.5, generator=gen(0))
    assert out.shape == x.shape and out.dtype == torch.float64


def test_gradient_flows_only_through_survivors():
    x = torch.ones(1000, requires_grad=True)
    out = dropout(x, 0.25, generator=gen(10))
    out.sum().backward()
    torch.testing.assert_close(x.grad, (out != 0).float() / 0.75)


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_statistically_agrees_with_torch_dropout(x, p):
    torch.manual_seed(0)
    theirs = nn.Dropout(p).train()(x)
    ours = dropout(x, p, generator=gen(11))
    share_theirs = (theirs == 0).float().mean().item()
    share_ours = (ours == 0).float().mean().item()
    assert abs(share_ours - share_theirs) < 0.005
    assert ours.mean().item() == pytest.approx(theirs.mean().item(), rel=0.01)
    # survivors are scaled the same way
    torch.testing.assert_close(ours[ours != 0] / x[ours != 0], torch.full_like(x[ours != 0], 1 / (1 - p)))
    torch.testing.assert_close(theirs[theirs != 0] / x[theirs != 0],
                               torch.full_like(x[theirs != 0], 1 / (1 - p)))


@pytest.mark.parametrize("p", [-0.1, 1, 1.0, 1.5, math.nan, True, False, "0.5", None])
def test_bad_p(p):
    with pytest.raises(ValueError, match="p must be a number with 0 <= p < 1"):
        dropout(torch.ones(3), p)
    with pytest.raises(ValueError, match="p must be"):
        Dropout(p)
    with pytest.raises(ValueError, match="p must be"):
        dropout_mask((3,), p)


def test_bad_p_refused_even_when_not_training():
    with pytest.raises(ValueError):
        dropout(torch.ones(3), 1.5, training=False)


def test_module_train_and_eval():
    torch.manual_seed(0)
    d = Dropout(0.5)
    assert d.training
    x = torch.ones(10_000)
    out = d(x)
    assert set(out.unique().tolist()) == {0.0, 2.0}
    assert 0.45 < (out == 0).float().mean().item() < 0.55
    d.eval()
    assert torch.equal(d(x), x)
    d.train()
    assert (d(x) == 0).any()


def test_module_seeded_by_the_global_generator():
    d = Dropout(0.3)
    x = torch.ones(500)
    torch.manual_seed(42)
    a = d(x)
    torch.manual_seed(42)
    b = d(x)
    assert torch.equal(a, b)


def test_module_rescale_false():
    torch.manual_seed(0)
    out = Dropout(0.5, rescale=False)(torch.ones(1000))
    assert set(out.unique().tolist()) == {0.0, 1.0}


def test_module_repr():
    assert repr(Dropout(0.5)) == "Dropout(p=0.5)"
    assert repr(Dropout(0.2, rescale=False)) == "Dropout(p=0.2, rescale=False)"
    assert repr(Dropout(0)) == "Dropout(p=0.0)"
    assert Dropout().p == 0.5


def test_module_in_a_sequential_follows_model_mode():
    model = nn.Sequential(nn.Identity(), Dropout(0.9))
    x = torch.ones(1000)
    model.eval()
    assert torch.equal(model(x), x)
    model.train()
    torch.manual_seed(0)
    assert (model(x) == 0).float().mean().item() > 0.8


# ---- dtypes, devices and numpy numbers ----

INTEGERS = [torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.bool]


@pytest.mark.parametrize("dtype", INTEGERS)
def test_integer_tensors_are_refused_with_a_type_error_naming_the_dtype(dtype):
    x = torch.full((8,), 255 if dtype == torch.uint8 else 1, dtype=dtype)
    for kwargs in ({}, {"training": False}, {"p": 0.0}):
        with pytest.raises(TypeError, match=rf"{dtype}.*\.float\(\)"):
            dropout(x, **({"p": 0.5} | kwargs), generator=gen(0))
    with pytest.raises(TypeError, match=r"\.float\(\)"):
        Dropout(0.5)(x)


@pytest.mark.parametrize("p", [np.float32(0.25), np.float64(0.25), np.float16(0.25)])
def test_numpy_numbers_are_accepted_as_p_the_same_way_custom_head_accepts_them(p):
    x = torch.ones(1000)
    assert torch.equal(dropout(x, p, generator=gen(1)), dropout(x, float(p), generator=gen(1)))
    assert Dropout(p).p == float(p) == 0.25
    assert torch.equal(dropout_mask((10,), p, gen(2)), dropout_mask((10,), 0.25, gen(2)))
    assert [m.p for m in custom_head(8, 2, [4], ps=p) if isinstance(m, nn.Dropout)] == [0.25, 0.25]
    assert dropout(x, np.int64(0)) is x


@pytest.mark.parametrize("p", [np.bool_(True), np.bool_(False), np.float32(1.0), np.float64(np.nan)])
def test_numpy_bools_and_bad_numpy_numbers_are_refused_by_both(p):
    with pytest.raises(ValueError, match="p must be a number with 0 <= p < 1"):
        dropout(torch.ones(3), p)
    with pytest.raises(ValueError, match="ps must be a number with 0 <= p < 1"):
        custom_head(8, 2, [4], ps=p)


def test_the_mask_is_drawn_on_the_inputs_device():
    x = torch.ones(4, 5, device="meta")  # a device without data, like a GPU's memory seen from here
    out = dropout(x, 0.5)
    assert out.device.type == "meta" and out.shape == (4, 5)
    assert dropout_mask((4, 5), 0.5, device="meta").device.type == "meta"
    assert Dropout(0.5)(x).device.type == "meta"


def test_on_the_cpu_the_mask_is_exactly_torch_rand_with_the_generator():
    x = torch.randn(30, 7, generator=gen(5))
    keep = torch.rand(x.shape, generator=gen(6)) >= 0.3
    assert torch.equal(dropout_mask(x.shape, 0.3, gen(6)), keep)
    assert torch.equal(dropout(x, 0.3, generator=gen(6)), x * keep.to(x.dtype) / (1 - 0.3))
    torch.manual_seed(7)
    keep = torch.rand(x.shape) >= 0.3
    torch.manual_seed(7)
    assert torch.equal(dropout(x, 0.3), x * keep.to(x.dtype) / (1 - 0.3))


# ---- properties, over generated sizes, p and seeds (Hypothesis) ----

FAST = settings(max_examples=30, deadline=None, derandomize=True, database=None)
probs = st.floats(min_value=0.05, max_value=0.95)


@given(n=st.integers(2_000, 50_000), p=probs, seed=st.integers(0, 2**31))
@FAST
def test_share_of_zeros_and_the_mean_stay_within_six_standard_errors(n, p, seed):
    x = torch.rand(n, generator=gen(seed)) + 0.5  # in [0.5, 1.5): a zero can only come from dropping
    out = dropout(x, p, generator=gen(seed + 1)).double()
    share = (out == 0).double().mean().item()
    assert abs(share - p) <= 6 * math.sqrt(p * (1 - p) / n)
    # each output is x * keep / (1 - p): its variance is E[x^2] / (1 - p) - E[x]^2
    m1, m2 = x.double().mean().item(), x.double().pow(2).mean().item()
    assert abs(out.mean().item() - m1) <= 6 * math.sqrt((m2 / (1 - p) - m1**2) / n)


@given(n=st.integers(1, 3_000), p=probs, seed=st.integers(0, 2**31))
@FAST
def test_gradient_is_zero_where_dropped_and_one_over_one_minus_p_where_kept(n, p, seed):
    x = (torch.rand(n, generator=gen(seed)) + 0.5).requires_grad_(True)
    out = dropout(x, p, generator=gen(seed + 1))
    out.sum().backward()
    kept = out != 0
    assert torch.equal(x.grad == 0, ~kept)
    torch.testing.assert_close(x.grad[kept], torch.full_like(x.grad[kept], 1 / (1 - p)))


@given(shape=st.lists(st.integers(1, 6), min_size=0, max_size=3), p=st.floats(0, 0.99),
       dtype=st.sampled_from([torch.float16, torch.float32, torch.float64]), seed=st.integers(0, 2**31))
@FAST
def test_dtype_and_shape_are_kept_and_eval_mode_is_the_identity(shape, p, dtype, seed):
    x = torch.randn(shape, generator=gen(seed)).to(dtype)
    out = dropout(x, p, generator=gen(seed))
    assert out.dtype == dtype and out.shape == x.shape
    assert dropout(x, p, training=False) is x
    assert torch.equal(Dropout(p).eval()(x), x)


@given(dtype=st.sampled_from(INTEGERS),
       p=st.floats(0, 0.99), training=st.booleans())
@FAST
def test_integer_dtypes_are_refused_whatever_p_and_mode(dtype, p, training):
    with pytest.raises(TypeError, match="dtype"):
        dropout(torch.zeros(5, dtype=dtype), p, training=training)


# ---- flags take a bool and nothing else; x must be a tensor ----

FLAGS = settings(max_examples=60, deadline=None, derandomize=True, database=None)
not_a_bool = (st.text(max_size=5) | st.none() | st.integers(-2, 2) | st.floats(allow_nan=False)
              | st.sampled_from([np.int64(1), np.float32(0.0), "False", "no", [], [True]]))


def test_the_string_false_as_training_is_refused_rather_than_dropping():
    with pytest.raises(ValueError, match=r"training must be True or False .* got 'False'"):
        dropout(torch.ones(8), 0.5, training="False")


def test_the_string_no_as_rescale_is_refused_rather_than_rescaling():
    with pytest.raises(ValueError, match=r"rescale must be True or False .* got 'no'"):
        Dropout(0.5, rescale="no")


@pytest.mark.parametrize("name", ["training", "rescale"])
def test_none_as_a_flag_is_refused_rather_than_read_as_false(name):
    with pytest.raises(ValueError, match=rf"{name} must be True or False .* got None"):
        dropout(torch.ones(8), 0.5, **{name: None})


def test_numpy_bools_are_accepted_as_flags():
    g1, g2 = gen(3), gen(3)
    a = dropout(torch.ones(64), 0.5, training=np.bool_(True), rescale=np.bool_(False), generator=g1)
    assert torch.equal(a, dropout(torch.ones(64), 0.5, training=True, rescale=False, generator=g2))


def test_a_numpy_array_is_refused_with_a_type_error_naming_x():
    with pytest.raises(TypeError, match=r"dropout needs a torch tensor x .* got ndarray"):
        dropout(np.ones(4, dtype=np.float32), 0.5)


@FLAGS
@given(value=not_a_bool, which=st.sampled_from(["training", "rescale", "module"]))
def test_any_flag_that_is_not_a_bool_is_a_named_value_error(value, which):
    with pytest.raises(ValueError, match=r"(training|rescale) must be True or False"):
        if which == "module":
            Dropout(0.5, rescale=value)
        else:
            dropout(torch.ones(4), 0.5, **{which: value})


tensor_dtypes = st.sampled_from([torch.float16, torch.bfloat16, torch.float32, torch.float64,
                                 torch.complex64, torch.uint8, torch.int8, torch.int32, torch.int64,
                                 torch.bool])
devices = st.sampled_from(["cpu", "meta"])


@FLAGS
@given(dtype=tensor_dtypes, shape=st.lists(st.integers(0, 4), max_size=4), device=devices,
       p=st.floats(0, 1, exclude_max=True), training=st.booleans(), rescale=st.booleans())
def test_any_tensor_gives_a_tensor_of_its_shape_or_a_named_type_error(dtype, shape, device, p,
                                                                     training, rescale):
    x = torch.zeros(shape, dtype=dtype, device=device)
    try:
        out = dropout(x, p, training, rescale, generator=gen(0) if device == "cpu" else None)
    except TypeError as err:
        assert "dropout needs a floating-point tensor x" in str(err)
        assert not (dtype.is_floating_point or dtype.is_complex)
        return
    assert out.shape == x.shape and out.dtype == x.dtype and out.device == x.device


@pytest.mark.parametrize("shape, error", [(5, TypeError), ("ab", TypeError), ((2, -1), ValueError),
                                          ((2.5, 3), ValueError), ((2, True), ValueError)])
def test_dropout_mask_names_a_shape_that_is_not_whole_sizes(shape, error):
    with pytest.raises(error, match="shape"):
        dropout_mask(shape, 0.5)


def test_dropout_mask_takes_a_tensors_shape_as_it_is():
    g = torch.Generator().manual_seed(0)
    assert dropout_mask(torch.zeros(2, 3).shape, 0.5, g).shape == (2, 3)
