"""lecnotes.task: a task hands out its splits by name, and refuses any other name."""

import numpy as np
import pytest
import torch

from lecnotes.task import SPLITS, Task


@pytest.fixture
def toy() -> Task:
    x = torch.arange(5 * 2 * 2, dtype=torch.uint8).reshape(5, 2, 2)
    return Task("toy", x[:3], torch.tensor([0, 1, 0]), x[3:], torch.tensor([1, 1]), ("a", "b"), str)


def test_split_gives_the_task_own_images_and_labels_of_each_split(toy):
    assert SPLITS == ("train", "valid", "test")
    for name, (x, y) in {"train": (toy.train_x, toy.train_y), "valid": (toy.valid_x, toy.valid_y)}.items():
        got_x, got_y = toy.split(name)
        assert got_x is x and got_y is y  # the same tensors, not copies


@pytest.mark.parametrize("split", ["test", "training", "validation", "Train", "", None, 0, ("train",),
                                   np.array(["train", "valid"])])
def test_split_refuses_any_other_name_naming_split_and_both_allowed_values(toy, split):
    with pytest.raises(ValueError, match=r"^split must be 'train' or 'valid' \(task 'toy' has no test "
                       r"split\), got "):
        toy.split(split)


def test_a_task_with_a_test_split_hands_it_out_and_counts_it():
    x, y = torch.zeros(6, 2, 2, dtype=torch.uint8), torch.tensor([0, 1, 0, 1, 1, 0])
    task = Task("toy", x[:2], y[:2], x[2:4], y[2:4], ("a", "b"), str, test_x=x[4:], test_y=y[4:])
    assert task.split("test")[0] is task.test_x and task.splits == SPLITS
    assert repr(task) == "Task('toy': 2 training, 2 validation and 2 test images, 2 classes: a, b)"
    with pytest.raises(ValueError, match=r"^split must be 'train', 'valid' or 'test', got 'tst'"):
        task.split("tst")


def test_test_labels_are_checked_like_the_others():
    x = torch.zeros(4, 2, 2, dtype=torch.uint8)
    with pytest.raises(ValueError, match=r"test_y holds labels 7"):
        Task("toy", x[:2], torch.tensor([0, 1]), x[2:], torch.tensor([1, 0]), ("a", "b"), str,
             test_x=x[2:], test_y=torch.tensor([0, 7]))
    with pytest.raises(ValueError, match="give both test_x and test_y, or neither"):
        Task("toy", x[:2], torch.tensor([0, 1]), x[2:], torch.tensor([1, 0]), ("a", "b"), str,
             test_x=x[2:])


# ---- a task refuses what would train wrongly or fail deep inside torch ----

def toy_args(**change):
    x = torch.zeros(4, 28, 28, dtype=torch.uint8)
    args = {"name": "toy", "train_x": x, "train_y": torch.tensor([0, 1, 0, 1]), "valid_x": x[:2],
            "valid_y": torch.tensor([1, 0]), "classes": ("a", "b"), "transform": str}
    return {**args, **change}


def test_a_string_of_class_names_is_refused_not_read_letter_by_letter():
    with pytest.raises(TypeError, match=r"classes must be a list or tuple .* got the str 'ab'"):
        Task(**toy_args(classes="ab"))


def test_a_task_of_one_class_is_refused():
    with pytest.raises(ValueError, match=r"classes must name at least 2 classes"):
        Task(**toy_args(train_y=torch.tensor([0, 0, 0, 0]), valid_y=torch.tensor([0, 0]),
                        classes=("a",)))


def test_float_images_already_in_0_1_are_refused_rather_than_scaled_twice():
    x = torch.rand(4, 28, 28)
    with pytest.raises(ValueError, match=r"'toy': train_x must hold uint8 .* got torch.float32"):
        Task(**toy_args(train_x=x, valid_x=x[:2]))


def test_numpy_images_are_refused_with_a_type_error_naming_the_split():
    x = np.zeros((4, 28, 28), dtype=np.uint8)
    with pytest.raises(TypeError, match=r"train_x must be a torch tensor .* got ndarray"):
        Task(**toy_args(train_x=x))


def test_validation_images_shaped_unlike_the_training_ones_are_refused():
    with pytest.raises(ValueError, match=r"valid_x must be .* like the training images \[28, 28\]"):
        Task(**toy_args(valid_x=torch.zeros(2, 3, 28, 28, dtype=torch.uint8)))


@pytest.mark.parametrize("labels", [torch.tensor([0, 1, 0, 1], dtype=torch.int32),
                                    torch.tensor([[0], [1], [0], [1]])])
def test_labels_that_are_not_int64_of_shape_n_are_refused(labels):
    with pytest.raises(ValueError, match=r"train_y must be a tensor of integer labels 0..1, int64 \[N\]"):
        Task(**toy_args(train_y=labels))


def test_a_transform_that_cannot_be_called_is_refused():
    with pytest.raises(TypeError, match=r"transform must be callable .* got None"):
        Task(**toy_args(transform=None))
