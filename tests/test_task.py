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
    assert SPLITS == ("train", "valid")
    for name, (x, y) in {"train": (toy.train_x, toy.train_y), "valid": (toy.valid_x, toy.valid_y)}.items():
        got_x, got_y = toy.split(name)
        assert got_x is x and got_y is y  # the same tensors, not copies


@pytest.mark.parametrize("split", ["test", "training", "validation", "Train", "", None, 0, ("train",),
                                   np.array(["train", "valid"])])
def test_split_refuses_any_other_name_naming_split_and_both_allowed_values(toy, split):
    with pytest.raises(ValueError, match=r"^split must be 'train' or 'valid', got "):
        toy.split(split)
