"""lecnotes.folders: one per-user cache folder, used for the data, the activations and the pets."""

import sys
from pathlib import Path

import pytest

from lecnotes import data, precompute
from lecnotes.folders import user_cache_dir


def test_xdg_cache_home_is_honoured(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert user_cache_dir("pets") == tmp_path / "lecnotes" / "pets"


@pytest.mark.skipif(sys.platform != "linux", reason="~/.cache is Linux's cache folder")
@pytest.mark.parametrize("xdg", [None, "", "relative/cache"])
def test_without_an_absolute_xdg_cache_home_it_is_under_the_home_folder(
        monkeypatch, tmp_path, xdg):
    monkeypatch.setenv("HOME", str(tmp_path))
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    assert user_cache_dir("pets") == tmp_path / ".cache" / "lecnotes" / "pets"
    assert str(user_cache_dir("pets")) == str(Path("~/.cache/lecnotes/pets").expanduser())  # as before


def test_fashion_mnist_and_activations_live_in_it(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("LECNOTES_CACHE", raising=False)
    assert data.cache_dir() == tmp_path / "lecnotes" / "fashion-mnist"
    assert precompute.default_cache_dir() == tmp_path / "lecnotes" / "activations"
    monkeypatch.setenv("LECNOTES_CACHE", str(tmp_path / "mine"))
    assert precompute.default_cache_dir() == tmp_path / "mine"  # LECNOTES_CACHE still wins
