"""lecnotes.sweep: many heads trained at once must each train as a Learner would."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from fake_cuda import pretend_cuda
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lecnotes as L
from lecnotes.sweep import Sweep, sweep


@pytest.fixture(autouse=True)
def train_every_sweep(monkeypatch):
    """These tests are about training: no sweep is read back from a run before (tests/test_memo.py)."""
    monkeypatch.setenv("LECNOTES_SWEEP_CACHE", "off")


@pytest.fixture(scope="module")
def data():
    return L.target_task(n_train=40, n_valid=40)


def test_without_dropout_each_stacked_head_trains_exactly_like_a_learner(data):
    res = sweep(data, settings=[0.0], seeds=[0, 3], epochs=4, xtra_fc=[32], eval_train=True)
    for j, seed in enumerate([0, 3]):
        hist = L.Learner.pretrained(data, xtra_fc=[32], ps=0.0, seed=seed).fit(4, 1e-3, eval_train=True)
        for name in ("train_loss", "train_acc", "valid_loss", "valid_acc",
                     "train_loss_eval", "train_acc_eval"):
            ours = getattr(res, name)[0, j]
            assert torch.allclose(ours, torch.tensor(getattr(hist, name)), atol=1e-5), (name, seed)


def test_two_layer_heads_also_match_a_learner_without_dropout(data):
    res = sweep(data, settings=[[0.0, 0.0, 0.0]], seeds=[1], epochs=3, xtra_fc=[16, 8])
    hist = L.Learner.pretrained(data, xtra_fc=[16, 8], ps=0.0, seed=1).fit(3, 1e-3)
    assert torch.allclose(res.valid_loss[0, 0], torch.tensor(hist.valid_loss), atol=1e-5)


def test_curves_have_one_row_per_setting_and_one_column_per_seed(data):
    res = sweep(data, settings=[0.0, 0.5, [0.25, 0.5]], seeds=[0, 1], epochs=2, xtra_fc=[16])
    assert isinstance(res, Sweep)
    for name in ("train_loss", "train_acc", "valid_loss", "valid_acc"):
        assert getattr(res, name).shape == (3, 2, 2)
    assert res.train_loss_eval.numel() == 0
    assert ((res.valid_acc >= 0) & (res.valid_acc <= 1)).all()


def test_dropout_changes_the_training_and_a_head_depends_on_its_seed_alone(data):
    res = sweep(data, settings=[0.0, 0.5], seeds=[0, 0, 1], epochs=2, xtra_fc=[16])
    assert not torch.equal(res.train_loss[0], res.train_loss[1])     # p changes what is learned
    assert torch.allclose(res.train_loss[1, 0], res.train_loss[1, 1], atol=1e-6)  # same seed, same masks
    assert not torch.allclose(res.train_loss[1, 0], res.train_loss[1, 2], atol=1e-3)  # another seed


@pytest.mark.parametrize("ps", [0.5, [0.25, 0.5]])
def test_with_dropout_a_sweep_of_one_setting_reproduces_a_learner(data, ps):
    res = sweep(data, settings=[ps], seeds=[3], epochs=3, xtra_fc=[32])
    hist = L.Learner.pretrained(data, xtra_fc=[32], ps=ps, seed=3).fit(3, 1e-3)
    for name in ("train_loss", "train_acc", "valid_loss", "valid_acc"):
        assert torch.allclose(getattr(res, name)[0, 0], torch.tensor(getattr(hist, name)), atol=1e-5), name


def test_a_head_gives_the_same_curves_alone_inside_a_larger_grid_and_in_another_order(data):
    alone = sweep(data, settings=[0.5], seeds=[2], epochs=3, xtra_fc=[16])
    grid = sweep(data, settings=[0.0, 0.25, 0.5], seeds=[0, 1, 2], epochs=3, xtra_fc=[16])
    turned = sweep(data, settings=[0.5, 0.25], seeds=[2, 5], epochs=3, xtra_fc=[16])
    for other in (grid.valid_loss[2, 2], turned.valid_loss[0, 0]):
        assert torch.allclose(alone.valid_loss[0, 0], other, atol=1e-6)
    assert torch.allclose(alone.train_loss[0, 0], grid.train_loss[2, 2], atol=1e-6)


def test_a_head_trains_bit_for_bit_the_same_alone_and_inside_a_larger_grid():
    # 500 training images and 5 classes: the final bias of 3 heads (15 numbers) and of 12
    # (60) put the same head's numbers in different CPU vector lanes; a fused Adam over
    # the whole stack rounded them differently on an AMD EPYC (AVX-512)
    data = L.target_task(n_valid=20)
    alone = sweep(data, settings=[0.5], seeds=[0, 1, 2], epochs=2, xtra_fc=[64])
    grid = sweep(data, settings=[0.25, [0.25, 0.5], 0.5, 0.0], seeds=[0, 1, 2], epochs=2,
                 xtra_fc=[64])
    for name in ("train_loss", "train_acc"):
        assert torch.equal(getattr(alone, name)[0], getattr(grid, name)[2]), name
    mine, theirs = alone.heads["final"].state_dict(), grid.heads["final"].state_dict()
    for key, value in mine.items():
        assert torch.equal(value, theirs[key][6:9]), key


def test_per_image_scores_average_to_the_curves_at_the_best_and_the_final_epoch(data):
    res = sweep(data, settings=[0.0, 0.5], seeds=[0, 1], epochs=4, xtra_fc=[16])
    for at, read in (("final", res.final), ("best", res.best)):
        loss, correct = res.per_image("valid", at=at)
        assert loss.shape == (2, 2, len(data.valid_y)) and correct.dtype == torch.bool
        assert torch.allclose(loss.mean(-1).float(), read(), atol=1e-6), at
    best_acc = res.valid_acc.gather(-1, res.best_epoch()[..., None] - 1)[..., 0]
    assert torch.allclose(res.per_image("valid", at="best")[1].double().mean(-1).float(), best_acc)


def test_per_image_scores_the_test_split_for_the_rows_asked(data):
    res = sweep(data, settings=[0.0, 0.5, 0.25], seeds=[0, 1], epochs=2, xtra_fc=[16])
    loss, correct = res.per_image("test", rows=[2], at="final")
    assert loss.shape == (1, 2, len(data.test_y))
    hist = L.Learner.pretrained(data, xtra_fc=[16], ps=0.25, seed=1)
    hist.fit(2, 1e-3)
    assert loss[0, 1].mean().item() == pytest.approx(hist.evaluate("test")[0], abs=1e-5)


@pytest.mark.parametrize("kwargs, match", [
    (dict(split="tests"), "split must be"), (dict(at="last"), "at must be 'best'"),
    (dict(rows=[3]), r"rows must be indices of settings, 0..1, got \[3\]"),
])
def test_per_image_names_a_bad_argument(data, kwargs, match):
    res = sweep(data, settings=[0.0, 0.5], seeds=[0], epochs=1, xtra_fc=[16])
    with pytest.raises(ValueError, match=match):
        res.per_image(**({"split": "valid"} | kwargs))


def test_a_sweep_is_repeatable(data):
    a = sweep(data, settings=[0.5], seeds=[2], epochs=2, xtra_fc=[16])
    b = sweep(data, settings=[0.5], seeds=[2], epochs=2, xtra_fc=[16])
    assert torch.equal(a.valid_loss, b.valid_loss)


@pytest.mark.parametrize("threads", [1, 3])
def test_the_masks_do_not_depend_on_how_many_threads_draw_them(data, monkeypatch, threads):
    settings, seeds = [0.0, 0.5, [0.25, 0.75]], [0, 1]
    before = sweep(data, settings=settings, seeds=seeds, epochs=2, xtra_fc=[16])
    pool = ThreadPoolExecutor(threads)
    module = sys.modules[sweep.__module__]  # lecnotes.sweep, the module, not the function
    monkeypatch.setattr(module, "_mask_pool", lambda: (pool, threads))
    after = sweep(data, settings=settings, seeds=seeds, epochs=2, xtra_fc=[16])
    pool.shutdown()
    assert torch.equal(before.train_loss, after.train_loss)
    assert torch.equal(before.valid_loss, after.valid_loss)


@pytest.mark.parametrize("name, match", [("valid_los", "one of the curves"),
                                         ("train_loss_eval", "eval_train=True")])
def test_reading_a_curve_that_does_not_exist_or_was_not_recorded_names_it(data, name, match):
    run = sweep(data, settings=[0.5], seeds=[0], epochs=1, xtra_fc=[16])
    for read in (run.best, run.best_epoch, run.final):
        with pytest.raises(ValueError, match=match):
            read(name)


def test_best_best_epoch_and_final_read_the_curves():
    curve = torch.tensor([[[0.9, 0.5, 0.7]]])
    res = Sweep([0.0], [0], train_loss=curve, train_acc=curve, valid_loss=curve, valid_acc=1 - curve)
    assert res.best().item() == pytest.approx(0.5) and res.best_epoch().item() == 2
    assert res.final().item() == pytest.approx(0.7)
    assert res.best("valid_acc").item() == pytest.approx(0.5) and res.best_epoch("valid_acc").item() == 2


@pytest.mark.parametrize("kwargs, match", [
    (dict(epochs=0), "epochs"), (dict(epochs=2.0), "epochs"), (dict(settings=[]), "settings"),
    (dict(seeds=[]), "seeds"), (dict(settings=[1.5]), "p"), (dict(settings=[[0.1, 0.2, 0.3]]), "ps"),
])
def test_bad_arguments_are_named(data, kwargs, match):
    args = dict(settings=[0.5], seeds=[0], epochs=1, xtra_fc=[16]) | kwargs
    with pytest.raises(ValueError, match=match):
        sweep(data, **args)


@pytest.mark.parametrize("kwargs, match", [
    (dict(bs=1), r"bs.*BatchNorm"), (dict(bs=0), "bs must be a positive integer"),
    (dict(seeds=[0, 1.5]), r"seeds\[1\] must be an integer"), (dict(lr=0.0), "lr must be a positive number"),
    (dict(lr=float("nan")), "lr"), (dict(wd=-1.0), "wd must be a finite number >= 0"),
    (dict(wd=float("inf")), "wd"),
])
def test_bad_training_arguments_are_named_before_anything_trains(data, kwargs, match):
    args = dict(settings=[0.5], seeds=[0], epochs=1, xtra_fc=[16]) | kwargs
    with pytest.raises(ValueError, match=match):
        sweep(data, **args)


def test_numpy_integers_give_the_same_sweep(data):
    a = sweep(data, settings=[0.5], seeds=[np.int64(2)], epochs=np.int64(2), xtra_fc=[np.int64(16)],
              bs=np.int32(32))
    b = sweep(data, settings=[0.5], seeds=[2], epochs=2, xtra_fc=[16], bs=32)
    assert torch.equal(a.valid_loss, b.valid_loss) and a.seeds == [2]


def test_a_sweep_forks_every_cuda_device_once_cuda_has_started(data, monkeypatch):
    forked = pretend_cuda(monkeypatch, devices=1)
    sweep(data, settings=[0.5], seeds=[0, 1], epochs=1, xtra_fc=[16])
    assert len(forked) >= 2 and all(devices == [0] for devices in forked)


# ---- issue 23: a blow-up is an error as in Learner.fit; lists, flags and sizes are checked first ----

def test_a_sweep_whose_heads_blow_up_raises_like_learner_fit(data):
    with pytest.raises(FloatingPointError, match=r"loss of \d+ head\(s\) became (nan|inf|-inf) in "
                                                 r"epoch 1 \(lr=1e\+30, wd=0.0\), first for ps=0.5, seed=0"):
        sweep(data, settings=[0.5], seeds=[0], epochs=2, xtra_fc=[16], lr=1e30)


@pytest.mark.parametrize("kwargs, match", [
    (dict(settings="0.5"), r"settings must be a list or tuple .* got the str '0.5'"),
    (dict(settings=np.array([0.0, 0.5])), r"settings must be a list or tuple .*\.tolist\(\)"),
    (dict(seeds=torch.tensor([0, 1])), r"seeds must be a list or tuple .* got the Tensor"),
    (dict(seeds=np.arange(2)), r"seeds must be a list or tuple .* got the ndarray"),
    (dict(xtra_fc="16"), r"xtra_fc must be a list or tuple"),
])
def test_settings_seeds_and_xtra_fc_that_are_not_lists_are_named_type_errors(data, kwargs, match):
    args = {"settings": [0.5], "seeds": [0], "epochs": 1, "xtra_fc": [16], **kwargs}
    with pytest.raises(TypeError, match=match):
        sweep(data, **args)


@pytest.mark.parametrize("value", ["no", 0, None])
def test_eval_train_takes_a_bool_and_nothing_else(data, value):
    with pytest.raises(ValueError, match=r"eval_train must be True or False"):
        sweep(data, settings=[0.5], seeds=[0], epochs=1, xtra_fc=[16], eval_train=value)


@pytest.mark.parametrize("seed", [-1, 2**63])
def test_a_sweep_refuses_the_seeds_setup_and_learner_refuse(data, seed):
    with pytest.raises(ValueError, match=r"seeds\[0\] must be an integer from 0 to 2\*\*63 - 1"):
        sweep(data, settings=[0.5], seeds=[seed], epochs=1, xtra_fc=[16])


not_a_list = (st.text(max_size=4) | st.integers() | st.floats() | st.none()
              | st.sampled_from([np.array([0.5]), torch.tensor([0]), {0.5}, range(1)]))


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=not_a_list, name=st.sampled_from(["settings", "seeds", "xtra_fc", "eval_train"]))
def test_random_non_lists_and_non_bools_are_named_before_anything_is_computed(data, value, name):
    if name == "xtra_fc" and value is None:
        return  # None is the default [512]
    args = {"settings": [0.5], "seeds": [0], "epochs": 1, "xtra_fc": [16], name: value}
    with pytest.raises((TypeError, ValueError), match=rf"{name} must be"):
        sweep(data, **args)
