"""setup(): seeds, a fixed thread count, and cuBLAS's workspace setting for GPUs."""

import json
import os
import random
import subprocess
import sys
import warnings

import pytest
import torch
from fake_cuda import pretend_cuda

from lecnotes.repro import CUBLAS_WORKSPACE_CONFIG, THREADS, deterministic_algorithms, isolated_rng, setup


@pytest.fixture(autouse=True)
def restore_torch_state():
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    state = torch.get_rng_state()
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic)
    torch.set_rng_state(state)


def test_setup_fixes_the_thread_count(monkeypatch):
    monkeypatch.delenv("LECNOTES_THREADS", raising=False)  # `make test` sets it for its workers
    setup(threads=1)
    assert torch.get_num_threads() == 1
    setup()
    assert torch.get_num_threads() == THREADS == 2
    assert torch.are_deterministic_algorithms_enabled()


def test_lecnotes_threads_sets_the_default_thread_count_and_an_argument_wins(monkeypatch):
    monkeypatch.setenv("LECNOTES_THREADS", "1")
    setup()
    assert torch.get_num_threads() == 1
    setup(threads=2)
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_lecnotes_threads_is_named_and_changes_nothing(monkeypatch, value):
    monkeypatch.setenv("LECNOTES_THREADS", value)
    before = torch.get_num_threads()
    with pytest.raises(ValueError, match="LECNOTES_THREADS must be a positive integer"):
        setup()
    assert torch.get_num_threads() == before


def test_same_seed_same_numbers():
    setup(seed=3)
    a, ra = torch.rand(5), random.random()
    setup(seed=3)
    b, rb = torch.rand(5), random.random()
    setup(seed=4)
    c = torch.rand(5)
    assert torch.equal(a, b) and ra == rb
    assert not torch.equal(a, c)


@pytest.mark.parametrize("threads", [0, -1, 1.5, 2.0, True, "2"])
def test_bad_threads(threads):
    before = torch.get_num_threads()
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        setup(threads=threads)
    assert torch.get_num_threads() == before


def test_numpy_integers_are_accepted_as_the_thread_count():
    import numpy as np

    setup(threads=np.int64(1))
    assert torch.get_num_threads() == 1


# ---- CUBLAS_WORKSPACE_CONFIG (no GPU here: CUDA's state is simulated or checked in a child) ----

@pytest.fixture
def no_cublas_config(monkeypatch):
    """CUBLAS_WORKSPACE_CONFIG unset for the test, and restored (set or not) afterwards."""
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", "placeholder")  # so that undo restores the original
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG")


@pytest.fixture(scope="module")
def fresh_setup() -> dict:
    """What ``setup()`` leaves behind in a fresh Python without CUBLAS_WORKSPACE_CONFIG set."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("CUBLAS_WORKSPACE_CONFIG", "TORCHINDUCTOR_DETERMINISTIC")}
    code = ("import json, os, sys, warnings, torch\n"
            "warnings.simplefilter('error')\n"
            "from lecnotes.repro import setup\n"
            "setup()\n"
            "seen = {'cublas': os.environ['CUBLAS_WORKSPACE_CONFIG'], 'cuda': torch.cuda.is_initialized(),\n"
            "        'deterministic': torch.are_deterministic_algorithms_enabled(),\n"
            "        'compiler_loaded': 'torch._inductor.config' in sys.modules}\n"
            "import torch._inductor.config as inductor\n"
            "seen['inductor_deterministic'] = inductor.deterministic\n"
            "print(json.dumps(seen))\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_setup_sets_the_cublas_workspace_in_a_fresh_python_without_starting_cuda(fresh_setup):
    assert (fresh_setup["cublas"], fresh_setup["cuda"]) == (":4096:8", False)
    assert CUBLAS_WORKSPACE_CONFIG == ":4096:8"


def test_setup_turns_deterministic_algorithms_on_without_loading_the_compiler(fresh_setup):
    assert fresh_setup["deterministic"]
    assert not fresh_setup["compiler_loaded"], "setup() imported torch._inductor (2-3 s a kernel)"
    assert fresh_setup["inductor_deterministic"], "inductor, loaded later, is not deterministic"


@pytest.mark.parametrize("why", ["torch has no eager setter", "the compiler is loaded already"])
def test_deterministic_algorithms_falls_back_on_torchs_public_call(monkeypatch, why):
    calls = []
    monkeypatch.setattr(torch, "use_deterministic_algorithms", lambda mode, **kw: calls.append(mode))
    if why == "torch has no eager setter":
        monkeypatch.delattr(torch._C, "_set_deterministic_algorithms")
    else:
        monkeypatch.setitem(sys.modules, "torch._inductor.config", sys.modules.get("torch._inductor.config"))
    monkeypatch.delenv("TORCHINDUCTOR_DETERMINISTIC", raising=False)
    deterministic_algorithms()
    assert calls == [True]
    assert os.environ["TORCHINDUCTOR_DETERMINISTIC"] == "1"


def test_setup_keeps_a_cublas_workspace_set_by_the_user_and_then_does_not_warn(monkeypatch):
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)  # set before CUDA started: fine
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        setup()
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"


def test_setup_warns_when_cuda_started_before_the_variable_was_set(no_cublas_config, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    with pytest.warns(UserWarning) as record:
        setup()
    assert len(record) == 1
    msg = str(record[0].message)
    assert "CUBLAS_WORKSPACE_CONFIG=:4096:8" in msg
    assert "Call setup() first" in msg and "before starting Python" in msg
    assert record[0].filename == __file__  # points at the caller's line, not inside lecnotes
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"  # set anyway, for what comes later
    assert torch.are_deterministic_algorithms_enabled()


def test_setup_does_not_warn_when_cuda_has_not_started(no_cublas_config, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        setup()
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"


# ---- isolated_rng: fork the CPU's random state, and every GPU's once CUDA has started ----

def test_isolated_rng_gives_back_the_cpu_state_it_found():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    with isolated_rng():
        torch.manual_seed(99)
        torch.rand(10)
    assert torch.equal(torch.rand(3), expected)


def test_isolated_rng_draws_exactly_what_fork_rng_draws_on_the_cpu():
    torch.manual_seed(1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(2)
        theirs = torch.rand(5)
    with isolated_rng():
        torch.manual_seed(2)
        ours = torch.rand(5)
    assert torch.equal(ours, theirs)


@pytest.mark.parametrize("started, expected", [(False, []), (True, [0, 1, 2])])
def test_isolated_rng_forks_every_cuda_device_only_once_cuda_has_started(monkeypatch, started, expected):
    forked = pretend_cuda(monkeypatch, started=started, devices=3)
    with isolated_rng():
        pass
    assert forked == [expected]


def test_setup_takes_a_numpy_integer_seed_and_refuses_a_non_integer_one():
    import numpy as np

    setup(seed=np.int64(3))
    a = torch.rand(3), random.random()
    setup(seed=3)
    assert torch.equal(torch.rand(3), a[0]) and random.random() == a[1]
    with pytest.raises(ValueError, match="seed must be an integer"):
        setup(seed=1.5)


# ---- seeds map to distinct streams; thread counts a machine can have ----

@pytest.mark.parametrize("seed", [-1, -5, 2**63, 2**64 - 1])
def test_setup_refuses_seeds_whose_stream_another_seed_also_gives(seed):
    # torch maps -1 to 2**64 - 1 and Python's random maps -5 to 5: refused, not shared
    with pytest.raises(ValueError, match=r"seed must be an integer from 0 to 2\*\*63 - 1"):
        setup(seed=seed)


def test_the_largest_seed_allowed_is_taken():
    setup(seed=2**63 - 1)


@pytest.mark.parametrize("value", ["\u00b2", str(10**20), "1025"])
def test_lecnotes_threads_beyond_plain_digits_or_a_sane_count_is_named(monkeypatch, value):
    monkeypatch.setenv("LECNOTES_THREADS", value)
    with pytest.raises(ValueError, match=r"LECNOTES_THREADS must be a positive integer up to 1024"):
        setup()


def test_setup_refuses_a_thread_count_no_machine_has():
    with pytest.raises(ValueError, match=r"threads must be a positive integer up to 1024 .* got 10+"):
        setup(threads=10**20)
