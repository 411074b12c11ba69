"""Pretend CUDA has started on a machine without a GPU, and record what gets forked.

The tests of ``repro.isolated_rng`` and of its callers (``Learner``, ``sweep``) need to know
which CUDA devices' random states would be forked once CUDA is in use. There is no GPU here,
so CUDA's status is faked and ``torch.random.fork_rng`` records the devices it was asked for,
then forks the CPU state only.
"""

import torch


def pretend_cuda(monkeypatch, started: bool = True, devices: int = 1) -> list[list[int]]:
    """Patch torch so CUDA looks started with ``devices`` devices; return the list of forks."""
    forked: list[list[int]] = []
    real_fork = torch.random.fork_rng

    def recording_fork(devices=None, *args, **kwargs):
        forked.append(list(devices))
        return real_fork([], *args, **kwargs)

    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: started)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: devices)
    monkeypatch.setattr(torch.random, "fork_rng", recording_fork)
    return forked
