"""The IDX reader, the data search and the source/target tasks, on small IDX files written here."""

import gzip
import hashlib
import struct
import subprocess
import sys
import warnings

import numpy as np
import pooch
import pytest
import torch

from lecnotes import data
from lecnotes.data import (
    CLASSES,
    SOURCE_CLASSES,
    TARGET_CLASSES,
    Normalize,
    find_data_dir,
    load_split,
    read_idx,
    search_dirs,
    source_task,
    target_task,
)
from lecnotes.fashion import NAMES
from lecnotes.task import Task

IDX_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C,
             np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode an array in the IDX format: magic, big-endian sizes, big-endian values."""
    code = IDX_CODES[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path, array: np.ndarray, gz: bool = False):
    raw = idx_bytes(array)
    if gz:
        path = path.with_name(path.name + ".gz")
        raw = gzip.compress(raw)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return path


N_PER_CLASS = {"train": 12, "test": 6}


def synthetic_split(split: str, seed: int):
    """Images whose pixels 0, 1 encode the image's index and pixel 2 its label; shuffled labels."""
    n = 10 * N_PER_CLASS[split]
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.repeat(np.arange(10, dtype=np.uint8), N_PER_CLASS[split]))
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[:, 0, 0] = np.arange(n) // 256
    images[:, 0, 1] = np.arange(n) % 256
    images[:, 0, 2] = labels
    return images, labels


def write_dataset(folder, gz: bool = False, raw_layout: bool = False):
    """Write the four Fashion-MNIST IDX files (synthetic) into ``folder``."""
    target = folder / "FashionMNIST" / "raw" if raw_layout else folder
    for seed, (split, (img_name, lab_name)) in enumerate(data.FILES.items()):
        images, labels = synthetic_split(split, seed)
        write_idx(target / img_name, images, gz)
        write_idx(target / lab_name, labels, gz)
    return folder


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Isolate the data search: no real cache, no Debian folder, LECNOTES_DATA unset, no download."""
    monkeypatch.delenv("LECNOTES_DATA", raising=False)
    monkeypatch.setenv("LECNOTES_DOWNLOAD", "0")  # tests/test_data_download.py covers the download
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "no-debian")
    return tmp_path


@pytest.fixture
def dataset(env, monkeypatch):
    folder = write_dataset(env / "fm", gz=True)
    monkeypatch.setenv("LECNOTES_DATA", str(folder))
    # the synthetic files stand in for the real ones, checksums included
    monkeypatch.setattr(data, "SHA256", {
        name: hashlib.sha256(gzip.decompress((folder / f"{name}.gz").read_bytes())).hexdigest()
        for name in data.SHA256})
    return folder


def original_index(images: torch.Tensor) -> torch.Tensor:
    return images[:, 0, 0].long() * 256 + images[:, 0, 1].long()


# ---- read_idx ----

@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_uint8_images_and_labels(tmp_path, gz):
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    labels = np.array([9, 0, 3], dtype=np.uint8)
    got = read_idx(write_idx(tmp_path / "img", images, gz))
    assert got.dtype == torch.uint8 and got.shape == (3, 4, 5)
    assert torch.equal(got, torch.from_numpy(images))
    assert torch.equal(read_idx(write_idx(tmp_path / "lab", labels, gz)), torch.from_numpy(labels))


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_multibyte_types_are_big_endian(tmp_path, dtype, gz):
    values = np.array([[1, -2, 300], [-40000, 70000, 5]])
    if dtype in (np.int8,):
        values = np.array([[1, -2, 127], [-128, 0, 5]])
    elif dtype is np.int16:
        values = np.array([[1, -2, 300], [-32768, 32767, 258]])
    array = values.astype(dtype)
    if dtype in (np.float32, np.float64):
        array = array + np.array(0.125, dtype=dtype)
    got = read_idx(write_idx(tmp_path / "x", array, gz))
    assert got.shape == array.shape
    assert torch.equal(got, torch.from_numpy(array.copy()))


def test_read_idx_accepts_str_path(tmp_path):
    path = write_idx(tmp_path / "x", np.zeros((2, 2), dtype=np.uint8))
    assert read_idx(str(path)).shape == (2, 2)


@pytest.mark.parametrize("magic", [b"\x01\x00\x08\x01", b"\x00\x01\x08\x01", b"\x00\x00\x07\x01",
                                   b"\x00\x00\xff\x01", b"\x1f\x8b\x08\x00"])
def test_read_idx_bad_magic(tmp_path, magic):
    path = tmp_path / "bad"
    path.write_bytes(magic + struct.pack(">I", 2) + b"\x00\x00")
    with pytest.raises(ValueError, match="bad magic"):
        read_idx(path)


@pytest.mark.parametrize("content", [b"", b"\x00", b"\x00\x00\x08"])
def test_read_idx_too_short_for_a_magic_number(tmp_path, content):
    path = tmp_path / "short"
    path.write_bytes(content)
    with pytest.raises(ValueError):
        read_idx(path)


def test_read_idx_bad_magic_gzipped(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(b"PK\x03\x04 not idx at all"))
    with pytest.raises(ValueError, match="bad magic"):
        read_idx(path)


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_truncated_values(tmp_path, gz):
    raw = idx_bytes(np.zeros((10, 28, 28), dtype=np.uint8))[:-100]
    path = tmp_path / ("t.gz" if gz else "t")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(ValueError, match="truncated"):
        read_idx(path)


def test_read_idx_padded_values(tmp_path):
    path = tmp_path / "p"
    path.write_bytes(idx_bytes(np.zeros(5, dtype=np.uint8)) + b"\x00")
    with pytest.raises(ValueError, match="truncated or padded"):
        read_idx(path)


def test_read_idx_truncated_multibyte_values(tmp_path):
    path = tmp_path / "i32"
    path.write_bytes(idx_bytes(np.arange(6, dtype=np.int32))[:-2])  # half a value missing
    with pytest.raises(ValueError, match="truncated"):
        read_idx(path)


@pytest.mark.parametrize("keep", [5, 8, 11])
def test_read_idx_truncated_header(tmp_path, keep):
    # the magic says 3 dimensions (12 bytes of sizes), but the file ends inside them
    path = tmp_path / "h"
    path.write_bytes(idx_bytes(np.zeros((2, 3, 4), dtype=np.uint8))[:keep])
    with pytest.raises(ValueError):
        read_idx(path)


def test_read_idx_truncated_gzip_stream(tmp_path):
    # an interrupted download: the .gz itself is cut short
    compressed = gzip.compress(idx_bytes(np.arange(5000, dtype=np.int32)))
    path = tmp_path / "cut.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(ValueError):
        read_idx(path)


def test_read_idx_garbage_gz(tmp_path):
    path = tmp_path / "garbage.gz"
    path.write_bytes(b"this is not gzip data")
    with pytest.raises(ValueError):
        read_idx(path)


def test_read_idx_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope.gz")


# ---- load_split and the search ----

@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("raw_layout", [False, True])
def test_load_split_layouts(tmp_path, gz, raw_layout):
    folder = write_dataset(tmp_path / "d", gz=gz, raw_layout=raw_layout)
    for seed, split in enumerate(("train", "test")):
        x, y = load_split(split, folder)
        images, labels = synthetic_split(split, seed)
        assert x.dtype == torch.uint8 and x.shape == images.shape
        assert y.dtype == torch.int64 and y.shape == labels.shape
        assert torch.equal(x, torch.from_numpy(images))
        assert torch.equal(y, torch.from_numpy(labels).long())


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("raw_layout", [False, True])
def test_lecnotes_data_env_layouts(env, monkeypatch, gz, raw_layout):
    folder = write_dataset(env / "d", gz=gz, raw_layout=raw_layout)
    monkeypatch.setenv("LECNOTES_DATA", str(folder))
    assert find_data_dir() == folder
    x, y = load_split("test")
    assert x.shape == (60, 28, 28) and y.shape == (60,)


def test_search_order(env, monkeypatch):
    monkeypatch.setenv("LECNOTES_DATA", str(env / "mine"))
    assert search_dirs() == [env / "mine", env / "xdg" / "lecnotes" / "fashion-mnist", env / "no-debian"]
    monkeypatch.delenv("LECNOTES_DATA")
    assert search_dirs() == [env / "xdg" / "lecnotes" / "fashion-mnist", env / "no-debian"]


def test_env_folder_comes_before_the_cache(env, monkeypatch):
    cache = write_dataset(env / "xdg" / "lecnotes" / "fashion-mnist")
    mine = write_dataset(env / "mine", gz=True)
    monkeypatch.setenv("LECNOTES_DATA", str(mine))
    assert find_data_dir() == mine
    monkeypatch.delenv("LECNOTES_DATA")
    assert find_data_dir() == cache
    monkeypatch.setenv("LECNOTES_DATA", str(env / "empty"))
    with pytest.raises(FileNotFoundError, match="LECNOTES_DATA"):
        find_data_dir()  # a mistyped LECNOTES_DATA is reported, not replaced by the cache's copy


def test_debian_folder_is_the_last_resort(env, monkeypatch):
    debian = write_dataset(env / "debian", gz=True)
    monkeypatch.setattr(data, "DEBIAN_DIR", debian)
    assert find_data_dir() == debian


def test_folder_with_only_some_files_is_skipped(env, monkeypatch):
    partial = env / "partial"
    images, labels = synthetic_split("train", 0)
    write_idx(partial / "train-images-idx3-ubyte", images)
    write_idx(partial / "train-labels-idx1-ubyte", labels)
    monkeypatch.setenv("LECNOTES_DATA", str(partial))
    with pytest.raises(FileNotFoundError):
        find_data_dir()
    assert load_split("train", partial)[0].shape == (120, 28, 28)
    with pytest.raises(FileNotFoundError, match="test"):
        load_split("test", partial)


def test_missing_data_names_both_ways_to_get_it(env):
    with pytest.raises(FileNotFoundError) as err:
        target_task()
    msg = str(err.value)
    assert "apt-get install dataset-fashion-mnist" in msg and "LECNOTES_DATA" in msg
    assert "--download" in msg and "python -m lecnotes.data" in msg
    assert str(env / "xdg" / "lecnotes" / "fashion-mnist") in msg and str(env / "no-debian") in msg


def test_cli_reports_missing_data(env, capsys):
    assert data.main([]) == 1
    err = capsys.readouterr().err
    assert "apt-get install dataset-fashion-mnist" in err and "--download" in err


def test_cli_reports_found_data(dataset, capsys):
    assert data.main([]) == 0
    assert str(dataset) in capsys.readouterr().out


def test_load_split_bad_split(dataset):
    with pytest.raises(ValueError, match="split must be one of"):
        load_split("valid")


def test_load_split_count_mismatch(tmp_path):
    folder = write_dataset(tmp_path / "d")
    write_idx(folder / "t10k-labels-idx1-ubyte", np.zeros(59, dtype=np.uint8))
    with pytest.raises(ValueError, match="60 images but 59 labels"):
        load_split("test", folder)


# ---- the tasks ----

@pytest.mark.parametrize("make, classes", [(target_task, TARGET_CLASSES), (source_task, SOURCE_CLASSES)])
def test_task_classes_counts_and_renumbered_labels(dataset, make, classes):
    task = make(n_train=5, n_valid=3, seed=0)
    c = len(classes)
    assert task.c == c and task.classes == tuple(CLASSES[i] for i in classes)
    assert task.train_x.shape == (5 * c, 28, 28) and task.valid_x.shape == (3 * c, 28, 28)
    assert task.train_x.dtype == torch.uint8 and task.train_y.dtype == torch.int64
    assert torch.equal(task.train_y.bincount(minlength=c), torch.full((c,), 5))
    assert torch.equal(task.valid_y.bincount(minlength=c), torch.full((c,), 3))
    assert set(task.train_y.tolist()) == set(range(c))
    # each image really belongs to the class its new label names (the label is stored in pixel 2)
    mapping = torch.tensor(classes)
    assert torch.equal(task.train_x[:, 0, 2].long(), mapping[task.train_y])
    assert torch.equal(task.valid_x[:, 0, 2].long(), mapping[task.valid_y])
    # and it comes from the right official split, with no duplicates
    train_images, _ = synthetic_split("train", 0)
    idx = original_index(task.train_x)
    assert len(set(idx.tolist())) == len(idx)
    assert torch.equal(task.train_x, torch.from_numpy(train_images)[idx])
    test_images, _ = synthetic_split("test", 1)
    if make is target_task:  # validation from the unused training images, test: the test split
        valid_idx = original_index(task.valid_x)
        assert torch.equal(task.valid_x, torch.from_numpy(train_images)[valid_idx])
        assert set(valid_idx.tolist()).isdisjoint(idx.tolist())
        assert torch.equal(task.test_x, torch.from_numpy(test_images)[original_index(task.test_x)])
        assert len(task.test_y) == c * N_PER_CLASS["test"]
    else:
        assert torch.equal(task.valid_x, torch.from_numpy(test_images)[original_index(task.valid_x)])
        assert task.test_y is None
    assert isinstance(task.transform, Normalize)


def test_the_target_task_keeps_its_training_images_when_validation_moved(dataset):
    small, large = target_task(n_train=5, n_valid=1), target_task(n_train=5, n_valid=6)
    assert torch.equal(small.train_x, large.train_x)


def test_the_target_task_names_both_counts_when_the_data_is_too_small(dataset):
    with pytest.raises(ValueError, match=r"n_train \+ n_valid must be at most .*got n_train=5 and "
                                         r"n_valid=10000"):
        target_task(n_train=5, n_valid=10_000)
    with pytest.raises(ValueError, match="n_valid must be a positive integer"):
        target_task(n_valid=None)


def test_target_and_source_are_disjoint(dataset):
    assert set(TARGET_CLASSES).isdisjoint(SOURCE_CLASSES)
    t, s = target_task(n_train=4, n_valid=2), source_task(n_train=4, n_valid=2)
    assert set(original_index(t.train_x).tolist()).isdisjoint(original_index(s.train_x).tolist())


def test_task_none_takes_every_image_of_the_classes(dataset):
    task = source_task(n_train=None, n_valid=None)
    assert len(task.train_y) == 5 * N_PER_CLASS["train"] and len(task.valid_y) == 5 * N_PER_CLASS["test"]


def test_task_is_seeded(dataset):
    a, b = target_task(n_train=5, n_valid=3, seed=7), target_task(n_train=5, n_valid=3, seed=7)
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.train_y, b.train_y)
    assert torch.equal(a.valid_x, b.valid_x)
    c = target_task(n_train=5, n_valid=3, seed=8)
    assert not torch.equal(a.train_x, c.train_x)
    assert not torch.equal(a.valid_x, c.valid_x)


def test_task_repr(dataset):
    assert repr(target_task(n_train=2, n_valid=1)) == (
        f"Task('target': 10 training, 5 validation and {5 * N_PER_CLASS['test']} test images, 5 classes: "
        "T-shirt/top, Trouser, Pullover, Dress, Coat)"
    )


@pytest.mark.parametrize("n", [0, -1, 2.5, 5.0, True, "5"])
def test_bad_counts(dataset, n):
    with pytest.raises(ValueError, match="n_train must be a positive integer"):
        target_task(n_train=n)
    with pytest.raises(ValueError, match="n_valid must be a positive integer"):
        source_task(n_valid=n)


def test_count_above_what_the_class_has(dataset):
    with pytest.raises(ValueError, match="exceeds"):
        source_task(n_train=N_PER_CLASS["train"] + 1)
    with pytest.raises(ValueError, match="n_train \\+ n_valid must be at most"):
        target_task(n_train=N_PER_CLASS["train"] + 1)


def test_normalize():
    x = torch.tensor([[[0, 255]]], dtype=torch.uint8)
    out = Normalize(mean=0.5, std=0.25)(x)
    assert out.shape == (1, 1, 1, 2) and out.dtype == torch.float32
    torch.testing.assert_close(out.flatten(), torch.tensor([-2.0, 2.0]))
    assert Normalize()(torch.zeros(3, 1, 28, 28, dtype=torch.uint8)).shape == (3, 1, 28, 28)
    assert repr(Normalize()) != repr(Normalize(std=0.3))


def test_real_target_task():
    task = target_task()
    assert task.train_x.shape == (500, 28, 28) and task.valid_x.shape == (5000, 28, 28)
    assert task.c == 5 and task.classes == ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat")
    assert torch.equal(task.train_y.bincount(), torch.full((5,), 100))
    assert torch.equal(task.valid_y.bincount(), torch.full((5,), 1000))
    mean = task.train_x.float().mean().item() / 255
    assert 0.2 < mean < 0.45  # real clothing pictures, not blank


# ---- labels outside the classes, numpy numbers, seeds ----

def test_labels_outside_the_ten_classes_are_named_not_reported_as_a_missing_class(env, monkeypatch):
    folder = write_dataset(env / "fm")
    for seed, (split, (_, lab_name)) in enumerate(data.FILES.items()):
        _, labels = synthetic_split(split, seed)
        write_idx(folder / lab_name, labels + 1)  # 1..10: as if counted from 1
    monkeypatch.setenv("LECNOTES_DATA", str(folder))
    with pytest.raises(ValueError) as err:
        target_task(n_train=5, n_valid=3)
    msg = str(err.value)
    assert "exceeds" not in msg
    assert "10" in msg and "0..9" in msg and "train-labels-idx1-ubyte" in msg


@pytest.mark.parametrize("split", ["train_y", "valid_y"])
def test_a_task_refuses_labels_outside_its_classes(split):
    x = torch.zeros(4, 28, 28, dtype=torch.uint8)
    ys = {"train_y": torch.tensor([0, 1, 0, 1]), "valid_y": torch.tensor([0, 1, 1, 0])}
    ys[split] = torch.tensor([0, 1, 5, -1])
    with pytest.raises(ValueError, match=rf"{split}.*-1, 5.*0\.\.1") as err:
        Task("toy", x, ys["train_y"], x, ys["valid_y"], ("a", "b"), Normalize())
    assert "'toy'" in str(err.value)


def test_a_task_refuses_images_and_labels_of_different_lengths():
    x = torch.zeros(4, 28, 28, dtype=torch.uint8)
    with pytest.raises(ValueError, match=r"valid_x.*3.*valid_y.*4"):
        Task("toy", x, torch.tensor([0, 1, 0, 1]), x[:3], torch.tensor([0, 1, 1, 0]), ("a", "b"),
                  Normalize())


def test_numpy_integers_are_accepted_as_counts_and_seeds(dataset):
    a = target_task(n_train=np.int64(5), n_valid=np.int32(3), seed=np.int64(7))
    b = target_task(n_train=5, n_valid=3, seed=7)
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.valid_y, b.valid_y)


@pytest.mark.parametrize("seed", [1.5, "0", None, True])
def test_bad_seed_is_named(dataset, seed):
    with pytest.raises(ValueError, match="seed must be an integer"):
        target_task(n_train=5, n_valid=3, seed=seed)


# ---- files under LECNOTES_DATA are checked: header, shape, dtype, checksum ----

def test_an_idx_header_with_zero_dimensions_is_a_named_error(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(bytes([0, 0, 0x08, 0, 7]))
    with pytest.raises(ValueError, match=r"x: not an IDX file .* 0 dimensions"):
        read_idx(path)


def test_float32_images_under_lecnotes_data_are_refused_naming_the_file_and_dtype(dataset):
    images, _ = synthetic_split("train", 0)
    write_idx(dataset / "train-images-idx3-ubyte", images.astype(np.float32) / 255, gz=True)
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.gz holds torch.float32 .* uint8"):
        load_split("train")


def test_images_of_another_shape_under_lecnotes_data_are_refused(dataset):
    images, _ = synthetic_split("test", 1)
    write_idx(dataset / "t10k-images-idx3-ubyte", images.reshape(-1, 28 * 28), gz=True)
    with pytest.raises(ValueError, match=r"shapes \[60, 784\] and \[60\]; .* \[N, 28, 28\]"):
        load_split("test")


def test_files_under_lecnotes_data_with_another_checksum_are_used_with_one_warning(dataset):
    images, labels = synthetic_split("test", 1)
    images[:, 5, 5] ^= 1  # other pixels: what the known checksum would catch
    write_idx(dataset / "t10k-images-idx3-ubyte", images, gz=True)
    with pytest.warns(UserWarning, match=r"t10k-images-idx3-ubyte.gz \(under LECNOTES_DATA\) has "
                                         r"SHA-256 [0-9a-f]{64}, not Fashion-MNIST's"):
        x, _ = load_split("test")
    assert torch.equal(x, torch.from_numpy(images))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_split("test")  # said once per file


def test_the_known_files_under_lecnotes_data_load_without_a_warning(dataset):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_split("train")


def test_an_unknown_lecnotes_download_is_refused_even_when_the_files_are_there(dataset, monkeypatch):
    monkeypatch.setenv("LECNOTES_DOWNLOAD", "maybe")
    with pytest.raises(ValueError, match=r"LECNOTES_DOWNLOAD is 'maybe'; allowed: 0 .* or 1"):
        target_task(n_train=5, n_valid=3)


def test_a_source_task_asking_more_validation_images_than_a_class_has_names_n_valid(dataset):
    with pytest.raises(ValueError, match=r"n_valid 7 exceeds the 6 examples of class 5 .*lower n_valid"):
        source_task(n_train=5, n_valid=N_PER_CLASS["test"] + 1)


@pytest.mark.parametrize("seed", [-1, 2**63, 2**64 - 1])
def test_a_negative_or_too_large_seed_is_refused_by_the_tasks(dataset, seed):
    with pytest.raises(ValueError, match=r"seed must be an integer from 0 to 2\*\*63 - 1"):
        target_task(n_train=5, n_valid=3, seed=seed)


def test_a_folder_that_is_not_a_path_is_a_named_type_error():
    with pytest.raises(TypeError, match=r"folder must be a folder's path, .* got 123"):
        load_split("train", folder=123)


def test_a_split_given_as_a_list_is_a_named_value_error(dataset):
    with pytest.raises(ValueError, match=r"split must be one of \['test', 'train'\], got \['train'\]"):
        load_split(["train"])


# ---- the download is pooch's: a cut-short file is tried again ----

class FaultsOnce(dict):
    """Faults that each happen on the first request only (the server calls ``get``)."""

    def get(self, key, default=None):
        return self.pop(key, default)


@pytest.fixture
def flaky_server(env, monkeypatch):
    """A server of the small test set; its first reply of t10k-images is cut short."""
    from test_data_download import Server, small_dataset

    contents = small_dataset()
    server = Server()
    server.files = {n + ".gz": gzip.compress(raw) for n, raw in contents.items()}
    cut = "cut short, full length announced"
    server.faults = FaultsOnce({"t10k-images-idx3-ubyte.gz": cut})
    monkeypatch.setattr(data, "SHA256", {n: hashlib.sha256(raw).hexdigest()
                                         for n, raw in contents.items()})
    monkeypatch.delenv("LECNOTES_DOWNLOAD")
    monkeypatch.setenv("LECNOTES_DATA_URL", server.url)
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def test_a_download_cut_short_once_is_tried_again_and_kept(flaky_server, env, capsys):
    pooch_level = pooch.get_logger().level
    cache = find_data_dir()
    assert cache == env / "xdg" / "lecnotes" / "fashion-mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(n + ".gz" for n in NAMES)
    assert flaky_server.requests.count("t10k-images-idx3-ubyte.gz") == 2
    assert len(flaky_server.requests) == 5
    assert len(capsys.readouterr().err.splitlines()) == 1  # pooch's lines stay quiet
    assert pooch.get_logger().level == pooch_level


def test_loading_the_data_does_not_import_pooch_whose_tqdm_import_warns_in_a_bare_kernel():
    # pooch imports tqdm.auto, which warns "IProgress not found" in a kernel without
    # ipywidgets: only a download may import it, and then without the warning
    code = ("import sys, lecnotes as L; L.target_task(); "
            "print('pooch' in sys.modules, 'tqdm.auto' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["False", "False"]
