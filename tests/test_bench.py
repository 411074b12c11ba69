"""bench/bench.py: the verdicts point the right way and the report names every target.

The benchmark itself measures this machine and is run by ``make bench``, never by the tests;
these tests check its bookkeeping on made-up figures.
"""

import json
from pathlib import Path

import pytest
import torch

import bench  # bench/bench.py, through pytest's pythonpath setting

ROOT = Path(__file__).resolve().parents[1]


def made_up(chapter_s: float = 20.0, small_x: float = 30.0, resnet_x: float = 90.0,
            floor_x: float = 1.1, book_s: float = 100.0) -> dict:
    precompute = {
        "small_body": {"cached_epoch_s": 0.1, "frozen_body_epoch_s": 0.1 * small_x,
                       "speedup_x": small_x, "head_floor_epoch_s": 0.1 / floor_x,
                       "cached_vs_floor_x": floor_x, "precompute_once_s": 3.0},
        "resnet18_64px": {"cached_epoch_s": 0.1, "frozen_body_epoch_s": 0.1 * resnet_x,
                          "speedup_x": resnet_x, "precompute_once_s": 7.0},
    }
    return {"notebooks": {"01_custom_head": {"seconds": chapter_s, "peak_mib": 700.0}},
            "book_s": book_s, "precompute": precompute,
            "dropout": {"elements": 100, "from_scratch_s": 0.2, "torch_s": 0.25, "ratio_x": 0.8},
            "site": {"build_cold_s": 60.0, "build_warm_s": 10.0, "setup_installed_s": 7.0},
            "machine": {"cpu": "Test CPU", "cores": 2, "torch": "2.x", "torch_threads": 2}}


@pytest.mark.parametrize(("key", "good", "bad"), [
    ("chapter_s", 44.9, 45.1), ("book_s", 170.0, 200.0),
    ("precompute_small_x", 5.0, 4.9), ("precompute_resnet18_x", 30.0, 24.0),
    ("cached_vs_floor_x", 1.3, 1.31),
])
def test_verdict_direction(key, good, bad):
    assert bench.verdict(good, key) == "ok"
    assert bench.verdict(bad, key) == "MISSED"


def test_report_states_every_target_and_the_machine():
    text = bench.report(made_up())
    for needle in ["Test CPU", "2 cores", "target < 45 s", "target < 180 s", ">= 5x", ">= 25x",
                   "<= 1.3x", "site build: cold 60.0 s"]:
        assert needle in text, needle
    assert "MISSED" not in text


def test_report_flags_each_missed_target():
    text = bench.report(made_up(chapter_s=50.0, small_x=4.0, resnet_x=20.0, floor_x=1.5, book_s=200.0))
    missed = [line for line in text.splitlines() if "MISSED" in line]
    assert len(missed) == 5  # the chapter, the book, both speed-ups and the floor


def test_report_without_notebooks_or_site():
    r = made_up()
    del r["notebooks"], r["book_s"], r["site"]
    text = bench.report(r)
    assert "chapter" not in text and "site build" not in text and "small body" in text


def test_resize_rgb_gives_three_channels_at_the_size():
    x = torch.randint(0, 256, (4, 28, 28), dtype=torch.uint8)
    out = bench.ResizeRGB(64)(x)
    assert out.shape == (4, 3, 64, 64)
    assert torch.equal(out[:, 0], out[:, 2])


def test_committed_results_have_what_the_appendix_reads():
    results = json.loads((ROOT / "bench" / "latest.json").read_text())
    assert {"notebooks", "book_s", "precompute", "dropout", "site", "machine", "targets",
            "bench_total_s"} <= set(results)
    assert sorted(results["notebooks"]) == sorted(p.stem for p in bench.TIMED)
    assert {k: v["value"] for k, v in results["targets"].items()} == {
        k: v for k, (_, v, _) in bench.TARGETS.items()}
