"""setup(): seeds and a fixed thread count."""

import random

import pytest
import torch

from lecnotes.repro import THREADS, setup


@pytest.fixture(autouse=True)
def restore_torch_state():
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    state = torch.get_rng_state()
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic)
    torch.set_rng_state(state)


def test_setup_fixes_the_thread_count():
    setup(threads=1)
    assert torch.get_num_threads() == 1
    setup()
    assert torch.get_num_threads() == THREADS == 2
    assert torch.are_deterministic_algorithms_enabled()


def test_same_seed_same_numbers():
    setup(seed=3)
    a, ra = torch.rand(5), random.random()
    setup(seed=3)
    b, rb = torch.rand(5), random.random()
    setup(seed=4)
    c = torch.rand(5)
    assert torch.equal(a, b) and ra == rb
    assert not torch.equal(a, c)


@pytest.mark.parametrize("threads", [0, -1, 1.5, 2.0, True, "2", None])
def test_bad_threads(threads):
    before = torch.get_num_threads()
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        setup(threads=threads)
    assert torch.get_num_threads() == before
