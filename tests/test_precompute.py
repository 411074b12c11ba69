"""The activation cache: keyed by content, written atomically, never stale, never a crash."""

import copy

import pytest
import torch
from torch import nn

from lecnotes.data import Normalize
from lecnotes.pooling import concat_pool
from lecnotes.precompute import (
    _read,
    cache_key,
    cached_activations,
    compute_activations,
    default_cache_dir,
)


def make_model(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), concat_pool()).eval()


def make_images(seed: int = 0, n: int = 12) -> torch.Tensor:
    return torch.randint(0, 256, (n, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


def fresh(model, images, transform) -> torch.Tensor:
    """What the features should be, computed directly with no cache."""
    with torch.no_grad():
        return model.eval()(transform(images))


def files(d) -> list[str]:
    return sorted(p.name for p in d.iterdir())


@pytest.fixture
def setup_cache(tmp_path):
    model, images, tf = make_model(), make_images(), Normalize()
    feats, hit = cached_activations(model, images, tf, tmp_path)
    assert not hit
    path = tmp_path / f"{cache_key(model, images, tf)}.pt"
    assert path.is_file()
    return model, images, tf, feats, path


def test_miss_then_hit_returns_identical_features(tmp_path, setup_cache):
    model, images, tf, feats, path = setup_cache
    torch.testing.assert_close(feats, fresh(model, images, tf))
    assert feats.shape == (12, 8) and feats.dtype == torch.float32
    again, hit = cached_activations(model, images, tf, tmp_path)
    assert hit
    assert torch.equal(again, feats)
    assert files(tmp_path) == [path.name]


def test_hit_reads_the_file_not_a_recompute(tmp_path, setup_cache, monkeypatch):
    model, images, tf, feats, _ = setup_cache

    def boom(*args, **kwargs):
        raise AssertionError("recomputed although the cache was valid")

    monkeypatch.setattr("lecnotes.precompute.compute_activations", boom)
    again, hit = cached_activations(model, images, tf, tmp_path)
    assert hit and torch.equal(again, feats)


def test_key_is_deterministic_and_by_content_not_identity():
    model, images, tf = make_model(), make_images(), Normalize()
    key = cache_key(model, images, tf)
    assert key == cache_key(model, images.clone(), Normalize())
    assert key == cache_key(copy.deepcopy(model), images, tf)
    assert key == cache_key(make_model(0), images, tf)
    assert len(key) == 64 and int(key, 16) >= 0


def test_in_place_weight_change_invalidates(tmp_path, setup_cache):
    model, images, tf, feats, path = setup_cache
    old_key = cache_key(model, images, tf)
    with torch.no_grad():
        model[0].weight.mul_(-1.5)  # same object, same names, same shapes: only the numbers change
    assert cache_key(model, images, tf) != old_key
    new, hit = cached_activations(model, images, tf, tmp_path)
    assert not hit
    assert not torch.allclose(new, feats)
    torch.testing.assert_close(new, fresh(model, images, tf))
    assert len(files(tmp_path)) == 2


def test_buffer_change_invalidates(tmp_path, setup_cache):
    model, images, tf, feats, _ = setup_cache
    model[1].running_mean.add_(1.0)  # BatchNorm statistics are part of what the body computes
    new, hit = cached_activations(model, images, tf, tmp_path)
    assert not hit
    torch.testing.assert_close(new, fresh(model, images, tf))
    assert not torch.allclose(new, feats)


def test_structure_change_invalidates():
    images, tf = make_images(), Normalize()
    a = make_model()
    b = make_model()
    b[2] = nn.Tanh()  # same state_dict, different computation
    assert a.state_dict().keys() == b.state_dict().keys()
    assert cache_key(a, images, tf) != cache_key(b, images, tf)


def test_changed_data_invalidates(tmp_path, setup_cache):
    model, images, tf, feats, _ = setup_cache
    changed = images.clone()
    changed[3, 4, 4] ^= 0xFF  # one pixel of one image, same count and shape
    new, hit = cached_activations(model, changed, tf, tmp_path)
    assert not hit
    torch.testing.assert_close(new, fresh(model, changed, tf))
    assert not torch.allclose(new[3], feats[3])
    torch.testing.assert_close(new[torch.arange(12) != 3], feats[torch.arange(12) != 3])


def test_reordered_data_invalidates():
    model, images, tf = make_model(), make_images(), Normalize()
    assert cache_key(model, images.flip(0), tf) != cache_key(model, images, tf)


def test_changed_transform_repr_invalidates(tmp_path, setup_cache):
    model, images, tf, feats, _ = setup_cache
    other = Normalize(mean=0.5, std=0.25)
    assert repr(other) != repr(tf)
    new, hit = cached_activations(model, images, other, tmp_path)
    assert not hit
    torch.testing.assert_close(new, fresh(model, images, other))
    assert not torch.allclose(new, feats)
    # and the original transform still hits its own entry
    again, hit = cached_activations(model, images, tf, tmp_path)
    assert hit and torch.equal(again, feats)


def test_truncated_file_is_recomputed(tmp_path, setup_cache):
    model, images, tf, feats, path = setup_cache
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 1, 10, 0):
        path.write_bytes(data[:cut])
        new, hit = cached_activations(model, images, tf, tmp_path)
        assert not hit
        assert torch.equal(new, feats)
        assert path.read_bytes() != data[:cut]  # the damaged file was replaced...
        again, hit = cached_activations(model, images, tf, tmp_path)
        assert hit and torch.equal(again, feats)  # ...by a valid one


def test_garbage_file_is_recomputed(tmp_path, setup_cache):
    model, images, tf, feats, path = setup_cache
    path.write_bytes(bytes(range(256)) * 40)
    new, hit = cached_activations(model, images, tf, tmp_path)
    assert not hit and torch.equal(new, feats)
    path.write_text("not a torch file at all\n")
    new, hit = cached_activations(model, images, tf, tmp_path)
    assert not hit and torch.equal(new, feats)


def test_file_of_another_key_is_rejected(tmp_path):
    model, tf = make_model(), Normalize()
    a, b = make_images(1), make_images(2)  # same count and shape, as in fastai issue #23
    feats_a, _ = cached_activations(model, a, tf, tmp_path)
    feats_b, _ = cached_activations(model, b, tf, tmp_path)
    assert not torch.allclose(feats_a, feats_b)
    path_a = tmp_path / f"{cache_key(model, a, tf)}.pt"
    path_b = tmp_path / f"{cache_key(model, b, tf)}.pt"
    path_b.write_bytes(path_a.read_bytes())  # a's valid content under b's name
    new, hit = cached_activations(model, b, tf, tmp_path)
    assert not hit
    assert torch.equal(new, feats_b)


def test_tampered_features_are_rejected(tmp_path, setup_cache):
    model, images, tf, feats, path = setup_cache
    saved = torch.load(path, weights_only=True)
    key = cache_key(model, images, tf)
    assert saved["key"] == key
    torch.save({**saved, "features": saved["features"] + 1}, path)  # right key, wrong checksum
    assert _read(path, key) is None
    new, hit = cached_activations(model, images, tf, tmp_path)
    assert not hit and torch.equal(new, feats)


@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence:UserWarning")  # indexing a bare tensor
def test_foreign_payloads_are_rejected(tmp_path, setup_cache):
    model, images, tf, feats, path = setup_cache
    key = cache_key(model, images, tf)
    for payload in (feats, {"key": key}, {"key": key, "features": [1, 2]}, [feats], None):
        torch.save(payload, path)
        assert _read(path, key) is None
        new, hit = cached_activations(model, images, tf, tmp_path)
        assert not hit and torch.equal(new, feats)


def test_writes_leave_no_temporary_files(tmp_path):
    model, tf = make_model(), Normalize()
    for seed in range(3):
        cached_activations(model, make_images(seed), tf, tmp_path)
    names = files(tmp_path)
    assert len(names) == 3
    assert all(n.endswith(".pt") and not n.endswith(".tmp") for n in names)


def test_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    model, images, tf = make_model(), make_images(), Normalize()
    real_save = torch.save

    def half_then_fail(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        cached_activations(model, images, tf, tmp_path)
    assert files(tmp_path) == []  # neither a temp file nor a half-written entry
    monkeypatch.setattr(torch, "save", real_save)
    feats, hit = cached_activations(model, images, tf, tmp_path)
    assert not hit and len(files(tmp_path)) == 1


def test_cache_dir_is_created(tmp_path):
    d = tmp_path / "a" / "b"
    cached_activations(make_model(), make_images(), Normalize(), d)
    assert len(files(d)) == 1


def test_compute_uses_eval_mode_and_restores_modes():
    model = make_model().train()
    model[1].running_mean.fill_(0.3)
    model[1].running_var.fill_(2.0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    images, tf = make_images(), Normalize()
    feats = compute_activations(model, images, tf, batch_size=5)  # uneven batches: 5, 5, 2
    assert feats.shape == (12, 8) and not feats.requires_grad
    assert all(m.training for m in model.modules())  # every submodule back in train mode
    for k, v in model.state_dict().items():  # BatchNorm statistics untouched
        assert torch.equal(v, before[k]), k
    torch.testing.assert_close(feats, fresh(copy.deepcopy(model), images, tf))


def test_compute_restores_mixed_modes():
    model = make_model().eval()
    model[1].train()
    compute_activations(model, make_images(), Normalize())
    assert [m.training for m in model] == [False, True, False, False]


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("LECNOTES_CACHE", str(tmp_path / "explicit"))
    assert default_cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("LECNOTES_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "lecnotes" / "activations"


def test_default_cache_dir_is_used(monkeypatch, tmp_path):
    monkeypatch.setenv("LECNOTES_CACHE", str(tmp_path / "c"))
    _, hit = cached_activations(make_model(), make_images(), Normalize())
    assert not hit and len(files(tmp_path / "c")) == 1
