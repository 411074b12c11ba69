"""lecnotes.photos: photo folders read into tasks, ImageNet normalisation."""

import numpy as np
import pytest
import torch
from photo_folder import make_photos

from lecnotes.photos import ImageNetNormalize, photo_task


def test_single_folder_layout_is_split_and_resized(tmp_path):
    task = photo_task(make_photos(tmp_path, per_class=10), size=32, valid_share=0.2)
    assert task.classes == ("cat", "dog")
    assert task.train_x.shape[1:] == (3, 32, 32) and task.train_x.dtype == torch.uint8
    assert len(task.valid_y) == 4 and len(task.train_y) == 16
    assert set(task.train_y.tolist()) == {0, 1}
    # the seeded split is repeatable
    again = photo_task(tmp_path, size=32, valid_share=0.2)
    assert torch.equal(task.valid_x, again.valid_x)


def test_train_valid_layout(tmp_path):
    task = photo_task(make_photos(tmp_path, split=True), size=16)
    assert len(task.train_y) == 8 and len(task.valid_y) == 4


def test_broken_image_is_skipped_with_a_warning_naming_it(tmp_path):
    make_photos(tmp_path, per_class=6, broken=True)
    with pytest.warns(UserWarning, match="broken.jpg"):
        task = photo_task(tmp_path, size=16)
    assert len(task.train_y) + len(task.valid_y) == 12


def test_bad_folders_raise_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        photo_task(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="class folder"):
        photo_task(tmp_path / "empty")
    one = make_photos(tmp_path / "one", classes=("cat",))
    with pytest.raises(ValueError, match="need at least 2"):
        photo_task(one)
    two = make_photos(tmp_path / "two")
    (two / "bird").mkdir()
    with pytest.raises(ValueError, match="'bird' has no"):
        photo_task(two)
    with pytest.raises(ValueError, match="size"):
        photo_task(two, size=0)


def test_imagenet_normalize():
    x = torch.full((1, 3, 2, 2), 255, dtype=torch.uint8)
    out = ImageNetNormalize()(x)
    mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
    assert torch.allclose(out[0, :, 0, 0], (1 - mean) / std)


@pytest.mark.parametrize("split", [False, True])
def test_a_class_whose_images_all_fail_to_decode_is_an_error_naming_the_class_and_folder(tmp_path, split):
    root = make_photos(tmp_path, per_class=6, split=split)
    for path in root.rglob("dog/*.jpg"):
        path.write_bytes(b"not a jpeg")
    folder = root / "train" / "dog" if split else root / "dog"
    with pytest.warns(UserWarning, match="skipping"), pytest.raises(ValueError) as err:
        photo_task(root, size=16)
    msg = str(err.value)
    assert "'dog'" in msg and str(folder) in msg and "decode" in msg


@pytest.mark.parametrize("kwargs, name", [(dict(max_per_class=0), "max_per_class"),
                                          (dict(max_per_class=2.5), "max_per_class"),
                                          (dict(seed=1.5), "seed"), (dict(valid_share="0.2"), "valid_share")])
def test_bad_arguments_are_named(tmp_path, kwargs, name):
    with pytest.raises(ValueError, match=name):
        photo_task(make_photos(tmp_path), size=16, **kwargs)


def test_numpy_integers_are_accepted(tmp_path):
    task = photo_task(make_photos(tmp_path, per_class=6), size=np.int64(16), seed=np.int64(0),
                      max_per_class=np.int32(3))
    assert task.train_x.shape[1:] == (3, 16, 16)


@pytest.mark.parametrize("kwargs, message", [
    (dict(size=7), "size must be an integer >= 8 (the photos' side in pixels), got 7"),
    (dict(valid_share=0), "valid_share must be a number with 0 < p < 1 (the share of each class held out "
                          "for validation), got 0"),
    (dict(valid_share=1.0), "valid_share must be a number with 0 < p < 1"),
])
def test_size_and_valid_share_out_of_range_say_what_is_allowed(tmp_path, kwargs, message):
    with pytest.raises(ValueError) as err:
        photo_task(make_photos(tmp_path), **kwargs)
    assert str(err.value).startswith(message)


# ---- issue 23: 16-bit photos, a class only in valid/, roots that are not folders, huge photos ----

def write_png16(path, values: np.ndarray) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(values.astype(np.uint16)).save(path)
    assert Image.open(path).mode.startswith("I")  # Pillow reads it as 16-bit grey


def test_16_bit_grey_pngs_are_scaled_to_8_bits_not_clipped(tmp_path):
    ramp = (np.arange(16 * 16).reshape(16, 16) * 257).astype(np.uint16)  # 0 .. 65535
    for split in ("train", "valid"):
        for c in ("a", "b"):
            write_png16(tmp_path / split / c / "x.png", ramp)
    task = photo_task(tmp_path, size=16)
    expected = torch.from_numpy((ramp >> 8).astype(np.uint8)).expand(3, 16, 16)
    assert torch.equal(task.train_x[0], expected)  # 0 .. 255, not 255 from the second pixel on


def test_a_class_found_only_in_valid_is_an_error_naming_it(tmp_path):
    root = make_photos(tmp_path, split=True)
    (root / "valid" / "bird").mkdir()
    (root / "valid" / "cat" / "cat_0.jpg").rename(root / "valid" / "bird" / "bird_0.jpg")
    with pytest.raises(ValueError, match=r"class folder\(s\) \['bird'\] under .*valid have no "
                                         r"counterpart under .*train"):
        photo_task(root)


def test_a_root_that_is_none_is_a_named_type_error():
    with pytest.raises(TypeError, match=r"root must be a folder's path, .* got None"):
        photo_task(None)


def test_a_root_that_is_a_file_is_named_as_a_file(tmp_path):
    (tmp_path / "photo.jpg").write_bytes(b"")
    with pytest.raises(NotADirectoryError, match=r"root must be a folder of class folders, but .* is a file"):
        photo_task(tmp_path / "photo.jpg")


def test_a_size_too_large_to_allocate_is_refused_before_reading(tmp_path):
    with pytest.raises(ValueError, match=r"size must be at most 2048 .* got 100000"):
        photo_task(make_photos(tmp_path), size=10**5)


def test_a_photo_over_pils_size_limit_is_an_error_naming_the_file(tmp_path, monkeypatch):
    from PIL import Image

    root = make_photos(tmp_path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # the 80 x 60 photos are over twice this
    with pytest.raises(ValueError, match=r"cat_\d\.jpg is larger than PIL's safety limit"):
        photo_task(root, size=16)
