"""lecnotes.report.spread: the mean and range of runs, written one way."""

import pytest
import torch

from lecnotes.report import spread


def test_spread_gives_the_mean_then_the_smallest_and_largest_run():
    assert spread(torch.tensor([[0.2, 0.6], [0.4, 0.4]])) == "0.400 (0.200 to 0.600)"


def test_spread_uses_the_format_for_all_three_numbers():
    assert spread([1, 2, 6], ".0f") == "3 (1 to 6)"
    assert spread([0.5], ".1%") == "50.0% (50.0% to 50.0%)"


def test_spread_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="at least one"):
        spread([])
