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
