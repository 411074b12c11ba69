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
