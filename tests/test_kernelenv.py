"""tests/kernelenv.py: the one definition of our kernels' environment."""

import os
import platform
import subprocess
import sys

import kernelenv
import pytest


def test_kernel_env_drops_mplbackend_and_turns_progress_bars_off():
    env = kernelenv.kernel_env({"MPLBACKEND": "Agg", "LECNOTES_PROGRESS": "1", "HOME": "/home/s"})
    assert env == {"LECNOTES_PROGRESS": "0", "HOME": "/home/s", **kernelenv.DEFAULTS}


def test_kernel_env_keeps_glibc_tunables_the_user_set():
    env = kernelenv.kernel_env({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"})
    assert env["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=2"


_REUSE = """
import resource
for _ in range(3):  # a 64 MiB block freed and asked for again, as in a training loop
    bytearray(64 * 2**20)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    bytearray(64 * 2**20)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="settings of glibc's malloc")
def test_kernels_reuse_a_freed_big_block_instead_of_faulting_in_fresh_pages():
    def faults(env):
        run = subprocess.run([sys.executable, "-c", _REUSE], env=env, capture_output=True,
                             text=True, check=True)
        return int(run.stdout)

    glibc_default = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    pages = 20 * 64 * 2**20 // 4096  # 20 blocks of 64 MiB, in 4 KiB pages
    assert faults(glibc_default) > pages // 2  # each block faulted in afresh
    assert faults(kernelenv.kernel_env(glibc_default)) < pages // 20


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
