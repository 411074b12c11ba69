"""tests/kernelenv.py: the one definition of our kernels' environment."""

import os

import kernelenv
import pytest


def test_kernel_env_drops_mplbackend_and_turns_progress_bars_off():
    env = kernelenv.kernel_env({"MPLBACKEND": "Agg", "LECNOTES_PROGRESS": "1", "HOME": "/home/s"})
    assert env == {"LECNOTES_PROGRESS": "0", "HOME": "/home/s"}


def test_kernel_env_leaves_its_argument_alone():
    base = {"MPLBACKEND": "Agg"}
    kernelenv.kernel_env(base)
    assert base == {"MPLBACKEND": "Agg"}


def test_the_test_session_itself_runs_in_the_kernel_environment():
    # the root conftest.py applies it before any nbval kernel starts
    assert "MPLBACKEND" not in os.environ
    assert os.environ["LECNOTES_PROGRESS"] == "0"


@pytest.mark.parametrize("cores, processes, share", [(2, 1, "2"), (2, 3, "1"), (8, 2, "4"), (None, 2, "1")])
def test_sharing_gives_each_process_its_share_of_the_cores_and_at_least_one(
        monkeypatch, cores, processes, share):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    passive = {"OMP_WAIT_POLICY": "PASSIVE"} if processes > 1 else {}  # only where cores are shared
    assert kernelenv.sharing(processes) == {"LECNOTES_THREADS": share, **passive}
