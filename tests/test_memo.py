"""lecnotes.memo: a finished sweep is read back only while everything that decides it is unchanged."""

from __future__ import annotations

import os
import sys
import warnings

import pytest
import torch

import lecnotes as L
from lecnotes import memo
from lecnotes.sweep import sweep

SWEEP_MODULE = sys.modules[sweep.__module__]  # lecnotes.sweep, the module, not the function
ARGS = {"settings": [0.0, [0.25, 0.5]], "seeds": [0, 1], "epochs": 2, "xtra_fc": [16]}


@pytest.fixture(scope="module")
def data():
    return L.target_task(n_train=40, n_valid=40)


@pytest.fixture
def kept(tmp_path, monkeypatch):
    """An empty folder of kept sweeps for this test."""
    folder = tmp_path / "sweeps"
    monkeypatch.setenv("LECNOTES_SWEEP_CACHE", str(folder))
    return folder


def no_training(monkeypatch):
    """From here on, a sweep that trains fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("the sweep trained instead of reading its file back")
    monkeypatch.setattr(SWEEP_MODULE, "_fit", refuse)


def assert_same(a, b):
    for curve in ("train_loss", "train_acc", "valid_loss", "valid_acc"):
        assert torch.equal(getattr(a, curve), getattr(b, curve)), curve
    for at in ("best", "final"):
        for split in ("valid", "test"):
            for x, y in zip(a.per_image(split, at=at), b.per_image(split, at=at), strict=True):
                assert torch.equal(x, y), (at, split)


def test_a_sweep_run_again_is_read_back_bit_for_bit_without_training(data, kept, monkeypatch):
    first = sweep(data, **ARGS)
    no_training(monkeypatch)
    again = sweep(data, **ARGS)
    assert (first.from_cache, again.from_cache) == (False, True)
    assert_same(first, again)
    assert len(list(kept.glob("*.pt"))) == 1


def test_a_sweep_read_back_equals_one_trained_with_the_cache_off(data, kept, monkeypatch):
    sweep(data, **ARGS)
    again = sweep(data, **ARGS)
    monkeypatch.setenv("LECNOTES_SWEEP_CACHE", "off")
    fresh = sweep(data, **ARGS)
    assert again.from_cache and not fresh.from_cache
    assert_same(again, fresh)


@pytest.mark.parametrize("change", [
    {"settings": [0.0, [0.5, 0.25]]}, {"seeds": [0, 2]}, {"epochs": 3}, {"xtra_fc": [8]},
    {"lr": 2e-3}, {"bs": 32}, {"wd": 1e-4}, {"eval_train": True}])
def test_every_argument_is_part_of_the_key(data, kept, change):
    sweep(data, **ARGS)
    assert not sweep(data, **(ARGS | change)).from_cache


def test_other_images_train_again(data, kept):
    sweep(data, **ARGS)
    assert not sweep(L.target_task(n_train=41, n_valid=40), **ARGS).from_cache


def test_other_labels_train_again(data, kept):
    sweep(data, **ARGS)
    relabelled = L.target_task(n_train=40, n_valid=40)
    relabelled.train_y[:] = relabelled.train_y.roll(1)
    assert not sweep(relabelled, **ARGS).from_cache


def test_an_edit_to_lecnotes_trains_again(data, kept, monkeypatch):
    sweep(data, **ARGS)
    monkeypatch.setattr(memo, "_code", lambda: "the digest of an edited lecnotes")
    assert not sweep(data, **ARGS).from_cache


def test_another_torch_version_trains_again(data, kept, monkeypatch):
    sweep(data, **ARGS)
    monkeypatch.setattr(torch, "__version__", "0.0.0")
    assert not sweep(data, **ARGS).from_cache


def test_another_thread_count_trains_again(data, kept):
    sweep(data, **ARGS)
    threads = torch.get_num_threads()
    torch.set_num_threads(threads + 1)
    try:
        assert not sweep(data, **ARGS).from_cache
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("damage", ["truncate", "flip a byte", "another key"])
def test_a_damaged_file_is_trained_again_never_trusted(data, kept, damage):
    first = sweep(data, **ARGS)
    (path,) = kept.glob("*.pt")
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "flip a byte":  # inside a stored curve: only the check can tell
        i = raw.index(first.valid_loss.numpy().tobytes())
        path.write_bytes(raw[:i] + bytes([raw[i] ^ 0xFF]) + raw[i + 1 :])
    else:
        saved = torch.load(path, weights_only=True)
        saved["key"] = "0" * 64
        torch.save(saved, path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no word from torch's loader either
        again = sweep(data, **ARGS)
    assert not again.from_cache
    assert_same(first, again)


def test_off_trains_every_time_and_keeps_nothing(data, tmp_path, monkeypatch):
    monkeypatch.setenv("LECNOTES_SWEEP_CACHE", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert not sweep(data, **ARGS).from_cache
    assert not sweep(data, **ARGS).from_cache
    assert not (tmp_path / "lecnotes" / "sweeps").exists()  # the folder it would use


def test_an_unusable_folder_gives_one_warning_naming_it_and_the_sweep_as_usual(
        data, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LECNOTES_SWEEP_CACHE", str(blocker / "sweeps"))
    monkeypatch.setattr(memo, "_warned", set())
    with pytest.warns(UserWarning, match="a-file/sweeps cannot be used") as caught:
        first = sweep(data, **ARGS)
        again = sweep(data, **ARGS)
    assert len(caught) == 1
    assert not again.from_cache
    assert_same(first, again)


def test_the_folder_keeps_the_most_recently_used_files_within_its_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("LECNOTES_SWEEP_CACHE", str(tmp_path))
    for age, name in enumerate(["newest", "used", "old", "oldest"]):
        memo.save(name, {"x": torch.zeros(200)})
        when = 1_000_000 - 1000 * age
        os.utime(tmp_path / f"{name}.pt", (when, when))
    assert memo.load("used") is not None  # reading a file makes it recently used
    size = max(p.stat().st_size for p in tmp_path.glob("*.pt"))
    monkeypatch.setattr(memo, "KEEP_BYTES", 2 * size + size // 2)  # room for two files
    memo._prune(tmp_path)
    assert sorted(p.stem for p in tmp_path.glob("*.pt")) == ["newest", "used"]


def test_the_folder_is_the_variable_or_the_users_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LECNOTES_SWEEP_CACHE", "~/kept")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert memo.folder() == tmp_path / "kept"
    monkeypatch.delenv("LECNOTES_SWEEP_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert memo.folder() == tmp_path / "xdg" / "lecnotes" / "sweeps"
