"""custom_head: fastai 0.7's exact layer sequence, and clear errors where 0.7 had none."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lecnotes.head import custom_head, default_ps, n_params, resolve_ps


def describe(head: nn.Sequential) -> list[tuple]:
    """The head as a list of (type, size or p) tuples, easy to compare exactly."""
    out = []
    for m in head:
        if isinstance(m, nn.BatchNorm1d):
            out.append(("BatchNorm1d", m.num_features))
        elif isinstance(m, nn.Dropout):
            out.append(("Dropout", m.p))
        elif isinstance(m, nn.Linear):
            out.append(("Linear", m.in_features, m.out_features))
        elif isinstance(m, nn.ReLU):
            out.append(("ReLU",))
        elif isinstance(m, nn.LogSoftmax):
            out.append(("LogSoftmax", m.dim))
        else:
            out.append((type(m).__name__,))
    return out


LECTURE_HEAD = [
    ("BatchNorm1d", 1024), ("Dropout", 0.25), ("Linear", 1024, 512), ("ReLU",),
    ("BatchNorm1d", 512), ("Dropout", 0.5), ("Linear", 512, 5), ("LogSoftmax", 1),
]


def test_default_is_the_lecture_head():
    assert describe(custom_head(1024, 5)) == LECTURE_HEAD


def test_explicit_lecture_arguments_give_the_same_head():
    assert describe(custom_head(1024, 5, xtra_fc=[512], ps=[0.25, 0.5])) == LECTURE_HEAD


def test_default_ps_rule():
    assert default_ps([512]) == [0.25, 0.5]
    assert default_ps([]) == [0.5]
    assert default_ps([512, 256, 128]) == [0.25, 0.25, 0.25, 0.5]


def test_default_ps_with_two_extra_layers():
    assert describe(custom_head(64, 3, xtra_fc=[32, 16])) == [
        ("BatchNorm1d", 64), ("Dropout", 0.25), ("Linear", 64, 32), ("ReLU",),
        ("BatchNorm1d", 32), ("Dropout", 0.25), ("Linear", 32, 16), ("ReLU",),
        ("BatchNorm1d", 16), ("Dropout", 0.5), ("Linear", 16, 3), ("LogSoftmax", 1),
    ]


def test_scalar_ps_applies_to_every_layer():
    assert describe(custom_head(1024, 10, xtra_fc=[512, 256], ps=0.3)) == [
        ("BatchNorm1d", 1024), ("Dropout", 0.3), ("Linear", 1024, 512), ("ReLU",),
        ("BatchNorm1d", 512), ("Dropout", 0.3), ("Linear", 512, 256), ("ReLU",),
        ("BatchNorm1d", 256), ("Dropout", 0.3), ("Linear", 256, 10), ("LogSoftmax", 1),
    ]


def test_list_ps_gives_one_p_per_layer_in_order():
    assert describe(custom_head(100, 4, xtra_fc=[50, 20], ps=[0.1, 0.2, 0.7])) == [
        ("BatchNorm1d", 100), ("Dropout", 0.1), ("Linear", 100, 50), ("ReLU",),
        ("BatchNorm1d", 50), ("Dropout", 0.2), ("Linear", 50, 20), ("ReLU",),
        ("BatchNorm1d", 20), ("Dropout", 0.7), ("Linear", 20, 4), ("LogSoftmax", 1),
    ]


def test_tuple_ps_is_a_list_not_a_scalar():
    # fastai 0.7 treated a tuple as a scalar; here it is one p per layer, like a list.
    from_tuple = describe(custom_head(1024, 5, xtra_fc=[512], ps=(0.1, 0.6)))
    assert from_tuple == describe(custom_head(1024, 5, xtra_fc=[512], ps=[0.1, 0.6]))
    assert [d[1] for d in from_tuple if d[0] == "Dropout"] == [0.1, 0.6]


def test_tuple_ps_of_wrong_length_is_refused():
    with pytest.raises(ValueError, match="ps"):
        custom_head(1024, 5, xtra_fc=[512], ps=(0.1,))


def test_tuple_xtra_fc_is_accepted():
    assert describe(custom_head(1024, 5, xtra_fc=(512,))) == LECTURE_HEAD


def test_empty_xtra_fc_gives_the_smallest_head():
    assert describe(custom_head(1024, 7, xtra_fc=[])) == [
        ("BatchNorm1d", 1024), ("Dropout", 0.5), ("Linear", 1024, 7), ("LogSoftmax", 1),
    ]


def test_empty_xtra_fc_with_scalar_and_list_ps():
    assert describe(custom_head(1024, 7, xtra_fc=[], ps=0.2))[1] == ("Dropout", 0.2)
    assert describe(custom_head(1024, 7, xtra_fc=[], ps=[0.3]))[1] == ("Dropout", 0.3)


def test_p_zero_leaves_dropout_out():
    assert describe(custom_head(1024, 5, ps=0)) == [
        ("BatchNorm1d", 1024), ("Linear", 1024, 512), ("ReLU",),
        ("BatchNorm1d", 512), ("Linear", 512, 5), ("LogSoftmax", 1),
    ]
    assert describe(custom_head(1024, 5, ps=0.0)) == describe(custom_head(1024, 5, ps=0))


def test_p_zero_in_a_list_leaves_only_that_dropout_out():
    assert describe(custom_head(1024, 5, ps=[0.0, 0.5])) == [
        ("BatchNorm1d", 1024), ("Linear", 1024, 512), ("ReLU",),
        ("BatchNorm1d", 512), ("Dropout", 0.5), ("Linear", 512, 5), ("LogSoftmax", 1),
    ]
    assert describe(custom_head(1024, 5, ps=[0.25, 0])) == [
        ("BatchNorm1d", 1024), ("Dropout", 0.25), ("Linear", 1024, 512), ("ReLU",),
        ("BatchNorm1d", 512), ("Linear", 512, 5), ("LogSoftmax", 1),
    ]


def test_head_uses_torch_dropout_modules_with_float_p():
    head = custom_head(1024, 5, ps=[1 / 4, 1 / 2])
    drops = [m for m in head if isinstance(m, nn.Dropout)]
    assert [type(d) for d in drops] == [nn.Dropout, nn.Dropout]
    assert all(isinstance(d.p, float) for d in drops)


def test_resolve_ps():
    assert resolve_ps(None, [512]) == [0.25, 0.5]
    assert resolve_ps(0.1, [512, 256]) == [0.1, 0.1, 0.1]
    assert resolve_ps((0.1, 0.2), [8]) == [0.1, 0.2]
    assert resolve_ps(0, []) == [0.0]


def test_output_shape_and_log_probabilities():
    torch.manual_seed(0)
    head = custom_head(1024, 5).eval()
    x = torch.randn(8, 1024)
    out = head(x)
    assert out.shape == (8, 5)
    assert (out <= 0).all()
    torch.testing.assert_close(out.exp().sum(1), torch.ones(8))


def test_output_shape_in_train_mode_and_small_head():
    torch.manual_seed(0)
    head = custom_head(6, 3, xtra_fc=[], ps=0.5).train()
    out = head(torch.randn(4, 6))
    assert out.shape == (4, 3)
    torch.testing.assert_close(out.exp().sum(1), torch.ones(4))


def test_parameter_count_of_the_lecture_head():
    # BatchNorm1d(1024): 2048; Linear(1024, 512): 524800; BatchNorm1d(512): 1024; Linear(512, 5): 2565
    assert n_params(custom_head(1024, 5)) == 2048 + 524800 + 1024 + 2565


# ---- bad inputs: ValueError naming the argument ----

@pytest.mark.parametrize("ps", [[0.5], [], [0.25, 0.25, 0.5], [0.1, 0.2, 0.3, 0.4]])
def test_ps_list_of_wrong_length(ps):
    with pytest.raises(ValueError, match=r"ps has \d+ value") as err:
        custom_head(1024, 5, xtra_fc=[512], ps=ps)
    assert "xtra_fc" in str(err.value)  # says what the length must match


def test_ps_list_too_short_for_empty_xtra_fc():
    with pytest.raises(ValueError, match="ps"):
        custom_head(1024, 5, xtra_fc=[], ps=[])
    with pytest.raises(ValueError, match="ps"):
        custom_head(1024, 5, xtra_fc=[], ps=[0.1, 0.5])


@pytest.mark.parametrize("p", [-0.1, -1, 1, 1.0, 1.5, math.nan, math.inf, -math.inf])
def test_scalar_p_out_of_range(p):
    with pytest.raises(ValueError, match=r"ps must be a number with 0 <= p < 1"):
        custom_head(1024, 5, ps=p)


@pytest.mark.parametrize("p", [-0.01, 1, 2.0, math.nan])
def test_list_p_out_of_range_names_its_position(p):
    with pytest.raises(ValueError, match=r"ps\[1\]"):
        custom_head(1024, 5, ps=[0.25, p])
    with pytest.raises(ValueError, match=r"ps\[0\]"):
        custom_head(1024, 5, ps=(p, 0.5))


@pytest.mark.parametrize("p", ["0.5", b"0", None, object(), [0.5, "x"]])
def test_p_not_a_number(p):
    ps = p if isinstance(p, list) else [0.25, p]
    with pytest.raises(ValueError, match="ps"):
        custom_head(1024, 5, ps=ps)


@pytest.mark.parametrize("p", ["0.5", {"p": 0.5}, {0.5}])
def test_scalar_ps_not_a_number(p):
    with pytest.raises(ValueError, match="ps"):
        custom_head(1024, 5, ps=p)


@pytest.mark.parametrize("p", [True, False])
def test_bool_p_is_refused(p):
    with pytest.raises(ValueError, match="ps"):
        custom_head(1024, 5, ps=p)
    with pytest.raises(ValueError, match=r"ps\[0\]"):
        custom_head(1024, 5, ps=[p, 0.5])


@pytest.mark.parametrize("size", [0, -1, -512, 512.0, 1.5, True, False, "512", None])
def test_bad_xtra_fc_size(size):
    with pytest.raises(ValueError, match=r"xtra_fc\[1\] must be a positive integer"):
        custom_head(1024, 5, xtra_fc=[256, size], ps=0.5)


@pytest.mark.parametrize("n", [0, -3, 1024.0, True, "1024", None])
def test_bad_n_features(n):
    with pytest.raises(ValueError, match="n_features must be a positive integer"):
        custom_head(n, 5)


@pytest.mark.parametrize("n", [0, -5, 5.0, True, "5", None])
def test_bad_n_classes(n):
    with pytest.raises(ValueError, match="n_classes must be a positive integer"):
        custom_head(1024, n)


@pytest.mark.parametrize("xtra_fc", [512, 512.0, "512", {512}, {"a": 512}, torch.tensor([512])])
def test_xtra_fc_not_a_list(xtra_fc):
    with pytest.raises(ValueError, match="xtra_fc must be a list"):
        custom_head(1024, 5, xtra_fc=xtra_fc)


def test_errors_say_what_is_allowed():
    with pytest.raises(ValueError) as err:
        custom_head(1024, 5, ps=[0.5])
    assert "[0.25, 0.5]" in str(err.value)  # the default it could have used
    with pytest.raises(ValueError) as err:
        custom_head(1024, 5, ps=1.2)
    assert "1.2" in str(err.value)


# ---- numpy numbers are numbers ----

def test_numpy_integers_are_accepted_as_sizes():
    head = custom_head(np.int64(1024), np.int32(5), xtra_fc=[np.int64(512)], ps=[np.float32(0.25), 0.5])
    assert describe(head) == LECTURE_HEAD
    linears = [m for m in head if isinstance(m, nn.Linear)]
    assert all(type(v) is int for m in linears for v in (m.in_features, m.out_features))
    assert resolve_ps(np.float64(0.1), np.array([8, 4]).tolist()) == [0.1, 0.1, 0.1]


@pytest.mark.parametrize("n", [np.bool_(True), np.float64(5.0), np.int64(0), np.int8(-3)])
def test_numpy_non_integers_bools_and_non_positive_integers_are_refused_as_sizes(n):
    with pytest.raises(ValueError, match="n_classes must be a positive integer"):
        custom_head(1024, n)


# ---- properties over generated arguments (Hypothesis): fastai 0.7's structure, or a named error ----

FAST = settings(max_examples=60, deadline=None, derandomize=True, database=None)

sizes = st.integers(1, 48) | st.integers(1, 48).map(np.int64)
class_counts = st.integers(2, 48) | st.integers(2, 48).map(np.int64)  # one class is refused
probs = (st.floats(0, 1, exclude_max=True) | st.sampled_from([0, 0.0, np.float32(0.5), np.float64(0.25)]))


@st.composite
def valid_arguments(draw):
    xtra_fc = draw(st.lists(sizes, max_size=3))
    if draw(st.booleans()):
        xtra_fc = tuple(xtra_fc)
    n_layers = len(xtra_fc) + 1
    ps = draw(st.none() | probs | st.lists(probs, min_size=n_layers, max_size=n_layers)
              | st.lists(probs, min_size=n_layers, max_size=n_layers).map(tuple))
    return draw(sizes), draw(class_counts), xtra_fc, ps


def expected_structure(n_features, n_classes, xtra_fc, ps) -> list[tuple]:
    """fastai 0.7's head written out from its rules, independently of custom_head."""
    n_layers = len(xtra_fc) + 1
    if ps is None:
        probs_ = [0.25] * len(xtra_fc) + [0.5]
    elif isinstance(ps, (list, tuple)):
        probs_ = [float(p) for p in ps]
    else:
        probs_ = [float(ps)] * n_layers
    dims = [int(n_features), *map(int, xtra_fc), int(n_classes)]
    out = []
    for i, p in enumerate(probs_):
        out.append(("BatchNorm1d", dims[i]))
        if p > 0:
            out.append(("Dropout", p))
        out.append(("Linear", dims[i], dims[i + 1]))
        out.append(("LogSoftmax", 1) if i == n_layers - 1 else ("ReLU",))
    return out


@given(valid_arguments())
@FAST
def test_generated_valid_arguments_give_fastai_07s_layers(args):
    n_features, n_classes, xtra_fc, ps = args
    head = custom_head(n_features, n_classes, xtra_fc, ps)
    assert describe(head) == expected_structure(n_features, n_classes, xtra_fc, ps)
    assert all(type(m.p) is float for m in head if isinstance(m, nn.Dropout))


@given(valid_arguments())
@FAST
def test_resolve_ps_follows_the_rules_for_none_a_number_and_a_list(args):
    _, _, xtra_fc, ps = args
    n_layers = len(xtra_fc) + 1
    got = resolve_ps(ps, xtra_fc)
    if ps is None:
        assert got == [0.25] * len(xtra_fc) + [0.5]
    elif isinstance(ps, (list, tuple)):
        assert got == [float(p) for p in ps]
    else:
        assert got == [float(ps)] * n_layers
    assert all(type(p) is float and 0 <= p < 1 for p in got)


not_a_size = (st.integers(max_value=0) | st.floats(allow_nan=True) | st.booleans() | st.text(max_size=3)
              | st.none() | st.sampled_from([np.bool_(True), np.float32(4.0), np.int64(-1), [4], (4,)]))
not_a_p = (st.floats(min_value=1) | st.floats(max_value=0, exclude_max=True) | st.just(math.nan)
           | st.booleans() | st.text(max_size=3)
           | st.sampled_from([np.bool_(False), np.float32(1.5), b"0", {0.5}]))


@given(bad=not_a_size, which=st.sampled_from(["n_features", "n_classes", "xtra_fc"]))
@FAST
def test_generated_bad_sizes_raise_an_error_naming_the_argument(bad, which):
    args = {"n_features": 16, "n_classes": 3, "xtra_fc": [8, 4]}
    if which == "xtra_fc":
        args["xtra_fc"] = [8, bad]
        name = r"xtra_fc\[1\]"
    else:
        args[which] = bad
        name = which
    with pytest.raises((ValueError, TypeError), match=name):
        custom_head(**args)


@given(bad=not_a_p, where=st.integers(-1, 2))
@FAST
def test_generated_bad_ps_raise_an_error_naming_the_argument(bad, where):
    xtra_fc = [8, 4]
    if where == -1:
        ps, name = bad, r"\bps\b"
    else:
        ps = [0.25, 0.25, 0.5]
        ps[where] = bad
        name = rf"ps\[{where}\]"
    with pytest.raises((ValueError, TypeError), match=name):
        custom_head(16, 3, xtra_fc, ps)
    with pytest.raises((ValueError, TypeError), match=name):
        resolve_ps(ps, xtra_fc)


@given(xtra_fc=st.lists(st.integers(1, 8), max_size=3), extra=st.integers(-3, 3).filter(lambda k: k != 0))
@FAST
def test_generated_ps_lists_of_the_wrong_length_raise_an_error_naming_ps(xtra_fc, extra):
    n = len(xtra_fc) + 1 + extra
    if n < 0:
        n = len(xtra_fc) + 1 + abs(extra)
    ps = [0.5] * n
    with pytest.raises(ValueError, match=rf"ps has {n} value\(s\)"):
        custom_head(16, 3, xtra_fc, ps)
    with pytest.raises(ValueError, match="ps has"):
        resolve_ps(tuple(ps), xtra_fc)


@pytest.mark.parametrize("p", [10**400, -(10**400)])
def test_integers_too_large_for_a_float_are_refused_as_p_with_the_usual_message(p):
    with pytest.raises(ValueError, match="ps must be a number with 0 <= p < 1"):
        custom_head(8, 2, [4], ps=p)


# ---- one class, and a string where the sizes go ----

def test_a_head_for_one_class_is_refused():
    with pytest.raises(ValueError, match=r"n_classes must be at least 2, got 1"):
        custom_head(1024, 1)


def test_default_ps_refuses_a_string_rather_than_counting_its_letters():
    with pytest.raises(TypeError, match=r"xtra_fc must be a list or tuple .* got the str 'ab'"):
        default_ps("ab")


@pytest.mark.parametrize("value", ["no", None, 1])
def test_n_params_takes_a_bool_for_trainable_only(value):
    with pytest.raises(ValueError, match=r"trainable_only must be True or False"):
        n_params(nn.Linear(2, 2), trainable_only=value)
