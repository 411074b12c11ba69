"""The activation cache: keyed by content, written atomically, never stale, never a crash."""

import copy
import functools
import os
import subprocess
import threading
import warnings
from dataclasses import dataclass, field

import pytest
import torch
from torch import nn

from lecnotes.body import pretrained_body, resnet_body
from lecnotes.data import Normalize
from lecnotes.photos import ImageNetNormalize
from lecnotes.pooling import concat_pool
from lecnotes.precompute import (
    CacheKeyError,
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
    assert key == cache_key(make_model(0).train(), images, tf)  # it runs in eval mode
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
    with pytest.warns(UserWarning, match="disk full"):  # the features still come back, computed in memory
        feats, hit = cached_activations(model, images, tf, tmp_path)
    assert not hit and torch.equal(feats, fresh(model, images, tf))
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


# ---- never stale: everything that changes the output changes the key (issue 13) ----

def recomputes_after(change, model, images, transform, cache) -> None:
    """Cache (a repeat hits), apply ``change``, call again: the call must miss and match
    a fresh compute."""
    before, _ = cached_activations(model, images, transform, cache)
    assert cached_activations(model, images, transform, cache)[1], "the cache is unused"
    change()
    after, hit = cached_activations(model, images, transform, cache)
    expected = fresh(model, images, transform)
    assert not torch.allclose(expected, before), "the change should change the features"
    assert not hit
    assert torch.equal(after, expected)


@dataclass(repr=False)
class Shift:
    """A transform whose repr does not show its settings, one of them a dataclass."""

    by: float = 0.0
    base: Normalize = field(default_factory=Normalize)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + self.by

    def __repr__(self) -> str:
        return "Shift()"


@pytest.mark.parametrize("setting, value", [("by", 1.5), ("base", Normalize(0.5, 0.2))])
def test_a_dataclass_transform_is_recomputed_when_a_field_changes_but_not_its_repr(
        tmp_path, setting, value):
    model, images, transform = make_model(), make_images(), Shift()
    change = lambda: setattr(transform, setting, value)  # noqa: E731
    recomputes_after(change, model, images, transform, tmp_path)
    assert repr(transform) == "Shift()"


class Scale(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.factor = 1.0  # a plain attribute: not a parameter, not a buffer
        self.register_buffer("offset", torch.zeros(1), persistent=False)  # not in the state_dict

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor + self.offset


def scale_model() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), Scale(), concat_pool()).eval()


def test_a_module_setting_kept_in_a_plain_attribute_is_recomputed_when_it_changes(tmp_path):
    model = scale_model()

    def change():
        model[1].factor = -3.0

    recomputes_after(change, model, make_images(), Normalize(), tmp_path)


def test_a_module_state_kept_in_a_non_persistent_buffer_is_recomputed_when_it_changes(tmp_path):
    model = scale_model()
    assert "1.offset" not in model.state_dict()

    def change():
        model[1].offset.fill_(2.0)

    recomputes_after(change, model, make_images(), Normalize(), tmp_path)


def test_a_forward_hook_changing_the_output_is_never_served_from_the_cache(tmp_path):
    model = make_model()

    def change():
        model[2].register_forward_hook(lambda module, args, out: out * 2 - 1)

    with pytest.warns(UserWarning, match=r"not cached: the model.*_forward_hooks"):
        recomputes_after(change, model, make_images(), Normalize(), tmp_path)


def test_a_global_forward_hook_is_never_served_from_the_cache(tmp_path):
    model, images, tf = make_model(), make_images(), Normalize()
    before, _ = cached_activations(model, images, tf, tmp_path)
    hook = nn.modules.module.register_module_forward_hook(
        lambda module, args, out: out + 1 if module is model[2] else out)
    try:
        with pytest.warns(UserWarning, match=r"not cached: torch's global forward"):
            during, hit = cached_activations(model, images, tf, tmp_path)
        assert not hit and torch.equal(during, fresh(model, images, tf))
        assert not torch.allclose(during, before)
    finally:
        hook.remove()
    after, hit = cached_activations(model, images, tf, tmp_path)
    assert hit and torch.equal(after, before)


TRANSFORM_CELL = """
@dataclass
class T:
    def __call__(self, x):
        return Normalize()(x) {k}
transform, layer = T(), nn.Identity()
"""
MODULE_CELL = """
class Gain(nn.Module):
    def forward(self, x):
        return x {k}
transform, layer = Normalize(), Gain()
"""


@pytest.mark.parametrize("cell", [TRANSFORM_CELL, MODULE_CELL],
                         ids=["transform", "module"])
def test_a_class_edited_and_defined_again_is_recomputed(tmp_path, cell):
    images = make_images()
    namespace: dict = {"Normalize": Normalize, "dataclass": dataclass, "nn": nn,
                       "__name__": "__main__"}  # as in a notebook

    def run(k: str) -> tuple[torch.Tensor, bool, torch.Tensor]:
        exec(cell.format(k=k), namespace)  # the same cell run again after an edit
        torch.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 4, 3), namespace["layer"], concat_pool())
        feats, hit = cached_activations(model, images, namespace["transform"], tmp_path)
        return feats, hit, fresh(model, images, namespace["transform"])

    first, _, _ = run("* 2.0")
    for edit in ("* -2.0", "/ 2.0"):  # another constant; another operation
        again, hit, expected = run(edit)
        assert not hit and torch.equal(again, expected)
        assert not torch.allclose(again, first)
    _, hit, _ = run("* 2.0")
    assert hit


def made_by_a_factory(gain: float):
    @dataclass
    class Gain:
        def __call__(self, x: torch.Tensor) -> torch.Tensor:
            return Normalize()(x) * gain

    return Gain()


def test_a_class_made_by_a_factory_is_keyed_by_what_its_methods_close_over(tmp_path):
    model, images = make_model(), make_images()
    first, _ = cached_activations(model, images, made_by_a_factory(2.0), tmp_path)
    transform = made_by_a_factory(-2.0)  # the same name and code, another gain
    again, hit = cached_activations(model, images, transform, tmp_path)
    assert not hit and torch.equal(again, fresh(model, images, transform))
    assert not torch.allclose(again, first)


def test_the_key_of_the_books_body_and_transform_is_the_same_in_another_process():
    import contextlib
    import io
    import os
    import subprocess
    import sys

    code = ("import torch\n"
            "from lecnotes.body import small_body\n"
            "from lecnotes.data import Normalize\n"
            "from lecnotes.pooling import concat_pool\n"
            "from lecnotes.precompute import cache_key\n"
            "torch.manual_seed(0)\n"
            "m = torch.nn.Sequential(small_body((4, 8)), concat_pool())\n"
            "x = torch.arange(2 * 28 * 28).reshape(2, 28, 28).to(torch.uint8)\n"
            "print(cache_key(m, x, Normalize()))\n")
    printed = io.StringIO()
    with torch.random.fork_rng(), contextlib.redirect_stdout(printed):
        exec(code, {})  # here
    here = printed.getvalue().strip()
    # ... and in another process, whose string hashes are seeded differently from this one's
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
    assert here == there and len(here) == 64, (here, there)


def test_torch_version_and_device_are_part_of_the_key(monkeypatch):
    model, images, tf = make_model(), make_images(), Normalize()
    key = cache_key(model, images, tf)
    assert key == cache_key(model, images, tf, device="cpu")
    assert key != cache_key(model, images, tf, device="cuda")
    monkeypatch.setattr(torch, "__version__", "0.0.0")
    assert key != cache_key(model, images, tf)


# ---- what the key cannot read is not cached; an unusable folder is not fatal ----

class Plain:
    """A transform that is neither a dataclass nor a module: its state is not read."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return Normalize()(x)


@dataclass
class Guarded:
    """A dataclass transform holding a lock and a generator: neither can be read."""

    lock: object = field(default_factory=threading.Lock)
    generator: torch.Generator = field(default_factory=torch.Generator)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        with self.lock:
            return Normalize()(x)


@pytest.mark.parametrize("transform, named", [
    (lambda x: Normalize()(x) * 2, r"the transform is a function \(<lambda>\)"),
    (functools.partial(Normalize()), r"the transform is a functools.partial"),
    (Plain(), r"the transform is a test_precompute.Plain"),
    (Guarded(), r"the transform.generator is a torch._C.Generator"),
    (Guarded(generator=None), r"the transform.lock is a _thread.lock"),
], ids=["lambda", "partial", "plain object", "generator field", "lock field"])
def test_a_transform_the_key_cannot_read_is_computed_without_the_cache_with_one_warning(
        tmp_path, transform, named):
    model, images = make_model(), make_images()
    with pytest.raises(CacheKeyError, match=named):
        cache_key(model, images, transform)
    seen: set[str] = set()
    with pytest.warns(UserWarning, match=rf"not cached: {named}") as record:
        feats, hit = cached_activations(model, images, transform, tmp_path, warned=seen)
        _, hit2 = cached_activations(model, images[:6], transform, tmp_path,
                                     warned=seen)
    assert len(record) == 1
    assert not hit and not hit2 and files(tmp_path) == []
    assert torch.equal(feats, fresh(model, images, transform))


@pytest.mark.parametrize("body, transform, image", [
    ("small", Normalize(), (28, 28)),
    ("big", Normalize(), (28, 28)),
    ("resnet18", ImageNetNormalize(), (3, 32, 32)),
])
def test_the_books_bodies_and_transforms_are_cached(tmp_path, body, transform, image):
    made = resnet_body(body) if body == "resnet18" else pretrained_body(body)
    model = nn.Sequential(made, concat_pool())
    images = torch.zeros(4, *image, dtype=torch.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "not cached" warning
        first, hit = cached_activations(model, images, transform, tmp_path)
        assert not hit and len(files(tmp_path)) == 1
        again, hit = cached_activations(model, images, transform, tmp_path)
    assert hit and torch.equal(again, first)


def test_an_unusable_cache_folder_falls_back_to_memory_with_a_warning_naming_it(tmp_path):
    (tmp_path / "file").write_text("a regular file, not a folder")
    folder = tmp_path / "file" / "cache"
    model, images, tf = make_model(), make_images(), Normalize()
    warned: set[str] = set()
    with pytest.warns(UserWarning, match="cache") as record:
        feats, hit = cached_activations(model, images, tf, folder, warned=warned)
        cached_activations(model, images[:6], tf, folder, warned=warned)  # e.g. the validation images
    assert len(record) == 1 and str(folder) in str(record[0].message)
    assert not hit and torch.equal(feats, fresh(model, images, tf))


def test_a_damaged_cache_file_is_recomputed_without_torch_warnings(tmp_path, setup_cache):
    import warnings

    model, images, tf, feats, path = setup_cache
    data = bytearray(path.read_bytes())
    at = data.find(b"\x80\x02")  # the pickle's protocol opcode: flip the protocol it names
    assert at >= 0
    data[at + 1] = 5
    path.write_bytes(bytes(data))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        new, hit = cached_activations(model, images, tf, tmp_path)
    assert [str(w.message) for w in caught] == []
    assert torch.equal(new, feats)  # read (its checksum still holds) or recomputed: the right numbers


# ---- issue 23: a full disk, a cache_dir given as '~/...' or not as a path, images that are none ----

@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB tmpfs: a real filesystem that fills up (needs root, as in the test containers)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill up needs root")
    mount = tmp_path / "full"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_gives_one_warning_the_features_from_memory_and_spoils_nothing(full_disk):
    model, small_images, tf = make_model(), make_images(n=12), Normalize()
    kept, _ = cached_activations(model, small_images, tf, full_disk)  # fits: stored
    before = {p.name: p.read_bytes() for p in full_disk.iterdir()}
    big = make_images(seed=1, n=3000)  # [3000, 8] float32: 96 KB, more than the disk holds
    with pytest.warns(UserWarning, match=r"cache folder .*full.* cannot be used .*disk is full"):
        feats, hit = cached_activations(model, big, tf, full_disk)
    assert not hit and torch.equal(feats, fresh(model, big, tf))
    assert {p.name: p.read_bytes() for p in full_disk.iterdir()} == before  # no partial file left
    again, hit = cached_activations(model, small_images, tf, full_disk)
    assert hit and torch.equal(again, kept)


def test_a_cache_dir_starting_with_a_tilde_is_under_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    cached_activations(make_model(), make_images(), Normalize(), "~/acts")
    assert len(files(tmp_path / "home" / "acts")) == 1 and not (tmp_path / "~").exists()


def test_lecnotes_cache_starting_with_a_tilde_is_under_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("LECNOTES_CACHE", "~/acts")
    assert default_cache_dir() == tmp_path / "acts"


def test_a_cache_dir_that_is_not_a_path_is_a_named_type_error():
    with pytest.raises(TypeError, match=r"cache_dir must be a folder's path, .* got 123"):
        cached_activations(make_model(), make_images(), Normalize(), 123)


@pytest.mark.parametrize("images, error, says", [
    (torch.zeros(0, 8, 8, dtype=torch.uint8), ValueError, r"at least one image, got shape \[0, 8, 8\]"),
    ([torch.zeros(8, 8, dtype=torch.uint8)], TypeError, r"images must be a tensor .* got list"),
])
def test_compute_activations_of_no_images_or_a_list_is_a_named_error(images, error, says):
    with pytest.raises(error, match=says):
        compute_activations(make_model(), images, Normalize())
