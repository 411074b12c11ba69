"""`make bench`: how fast the book and its helper package are, measured in one run.

Prints a table of figures with their targets and writes the same figures as JSON
(default bench/latest.json). Figures are medians of several runs; ratios compare two
measurements taken in the same run on the same machine.

Usage: python bench/bench.py [--out bench/latest.json] [--repeats 3] [--skip-site]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

import lecnotes as L
from lecnotes.dropout import dropout
from lecnotes.memo import cpu_name
from lecnotes.task import Task

# The kernel environment is the tests' own, in tests/.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from kernelenv import kernel_env  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TIMED = [*sorted((ROOT / "chapters").glob("[0-9]*.ipynb")), ROOT / "chapters" / "bigger_body.ipynb"]
"""The pages whose run time is measured: the five chapters and the bigger-body appendix."""

TARGETS = {
    "chapter_s": ("every chapter under", 45.0, "s"),
    "book_s": ("whole book under", 180.0, "s"),
    "precompute_small_x": ("precompute speed-up, small body, at least", 5.0, "x"),
    "precompute_resnet18_x": ("precompute speed-up, resnet18 at 64 px, at least", 25.0, "x"),
    "cached_vs_floor_x": ("cached epoch / head's own compute, at most", 1.3, "x"),
}


def progress(message: str) -> None:
    """One line on stderr, so a long run shows where it is (the table goes to stdout)."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ---------------------------------------------------------------- notebooks
_RUN_ONE = r"""
import json, resource, sys, time
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
start = time.perf_counter()
NotebookClient(nb, timeout=600, kernel_name="python3",
               resources={"metadata": {"path": sys.argv[2]}}).execute()
seconds = time.perf_counter() - start
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the kernel, in KiB on Linux
print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024}))
"""


def bench_notebooks(repeats: int) -> dict:
    # every run trains its sweeps, as a student's first run does: none is read back (lecnotes.memo)
    env = {**kernel_env(), "LECNOTES_SWEEP_CACHE": "off"}
    rows = {}
    for nb in TIMED:
        runs = []
        for i in range(repeats):
            out = subprocess.run([sys.executable, "-c", _RUN_ONE, str(nb), str(nb.parent)],
                                 capture_output=True, text=True, env=env)
            if out.returncode != 0:
                tail = "\n".join(out.stderr.splitlines()[-25:])
                raise SystemExit(f"bench: {nb.name} failed to run, so no figures were written:\n{tail}")
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            progress(f"{nb.stem}, run {i + 1} of {repeats}: {runs[-1]['seconds']:.1f} s")
        rows[nb.stem] = {"seconds": statistics.median(r["seconds"] for r in runs),
                         "peak_mib": max(r["peak_mib"] for r in runs)}
    return rows


# ---------------------------------------------------------------- precompute
@dataclass(frozen=True)
class ResizeRGB:
    """Normalise, upsample to ``size`` pixels and repeat the grey channel three times (for resnet)."""

    size: int = 64

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        x = L.data.Normalize()(images)
        x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
        return x.expand(-1, 3, -1, -1)


def epoch_times(body, data: Task, repeats: int, cache_dir: Path) -> dict:
    fast = L.Learner(body, data, precompute=True, cache_dir=cache_dir)
    start = time.perf_counter()
    fast.activations("train")
    fast.activations("valid")
    precompute_s = time.perf_counter() - start
    fast.fit(1, 1e-3)  # warm-up
    fast_s = median_time(lambda: fast.fit(1, 1e-3), max(5 * repeats, 15))  # short: many repeats
    slow = L.Learner(body, data, precompute=False)
    slow_s = median_time(lambda: slow.fit(1, 1e-3), repeats)
    return {"precompute_once_s": precompute_s, "cached_epoch_s": fast_s,
            "frozen_body_epoch_s": slow_s, "speedup_x": slow_s / fast_s, "learner": fast}


def head_floor(learn: L.Learner, repeats: int) -> float:
    """The head's own work for one epoch on tensors already in memory: training forward,
    backward and Adam step on every mini-batch, and the validation forward pass."""
    xt, yt = learn.activations("train"), learn.data.train_y
    xv = learn.activations("valid")
    head = learn.head
    opt = torch.optim.Adam(head.parameters(), lr=1e-3)
    batches = [(xt[i : i + learn.bs], yt[i : i + learn.bs]) for i in range(0, len(yt), learn.bs)]

    def one_epoch():
        head.train()
        for xb, yb in batches:
            loss = F.nll_loss(head(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        head.eval()
        with torch.no_grad():
            for i in range(0, len(xv), 1000):
                head(xv[i : i + 1000])

    one_epoch()
    return median_time(one_epoch, max(5 * repeats, 15))


def bench_precompute(repeats: int, cache_dir: Path) -> dict:
    L.setup(seed=0)
    task = L.target_task()
    small = epoch_times(L.pretrained_body(), task, repeats, cache_dir / "small")
    floor = head_floor(small.pop("learner"), repeats)
    small["head_floor_epoch_s"] = floor
    small["cached_vs_floor_x"] = small["cached_epoch_s"] / floor
    small["n_train"], small["n_valid"] = len(task.train_y), len(task.valid_y)
    t = L.target_task(n_valid=200)
    rgb = Task("target-64px", t.train_x, t.train_y, t.valid_x, t.valid_y, t.classes, ResizeRGB(64))
    L.setup(seed=0)
    resnet = epoch_times(L.resnet_body("resnet18", weights=None), rgb, repeats, cache_dir / "resnet")
    resnet.pop("learner")
    resnet["n_train"], resnet["n_valid"] = len(t.train_y), len(t.valid_y)
    return {"small_body": small, "resnet18_64px": resnet}


# ---------------------------------------------------------------- dropout
def bench_dropout(repeats: int) -> dict:
    x = torch.randn(4096, 4096)
    g = torch.Generator().manual_seed(0)
    ours = median_time(lambda: dropout(x, 0.5, generator=g), max(repeats, 5))
    torch_s = median_time(lambda: F.dropout(x, 0.5, training=True), max(repeats, 5))
    return {"elements": x.numel(), "from_scratch_s": ours, "torch_s": torch_s,
            "ratio_x": ours / torch_s}


# ---------------------------------------------------------------- site and set-up
def bench_site(build_dir: Path) -> dict:
    env = kernel_env()
    jb = str(Path(sys.executable).with_name("jupyter-book"))
    cmd = [jb, "build", str(ROOT), "--path-output", str(build_dir), "-W", "-n", "--keep-going"]

    def build():
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            text = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)  # no colour codes
            tail = "\n".join(text.splitlines()[-25:])
            raise SystemExit(f"bench: the site build failed, so no figures were written. The last "
                             f"lines of jupyter-book's output:\n{tail}\n(`make build` shows it all.)")

    subprocess.run(["rm", "-rf", str(build_dir)], check=True)
    cold = median_time(build, 1)
    warm = median_time(build, 1)
    setup = median_time(lambda: subprocess.run(["make", "-s", "setup"], cwd=ROOT, check=True,
                                                capture_output=True, env=env), 1)
    return {"build_cold_s": cold, "build_warm_s": warm, "setup_installed_s": setup}


def machine() -> dict:
    return {"cpu": cpu_name(), "cores": os.cpu_count(), "torch": torch.__version__,
            "torch_threads": L.repro.THREADS, "python": platform.python_version(),
            "peak_rss_bench_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


# ---------------------------------------------------------------- report
def verdict(value: float, key: str) -> str:
    _, target, _ = TARGETS[key]
    ok = value <= target if key in ("chapter_s", "book_s", "cached_vs_floor_x") else value >= target
    return "ok" if ok else "MISSED"


def report(r: dict) -> str:
    lines = [f"machine: {r['machine']['cpu']}, {r['machine']['cores']} cores, torch "
             f"{r['machine']['torch']}, {r['machine']['torch_threads']} threads", ""]
    if "notebooks" in r:
        lines.append(f"{'chapter':<22}{'median s':>10}{'peak MiB':>10}  target < 45 s")
        for name, row in r["notebooks"].items():
            lines.append(f"{name:<22}{row['seconds']:>10.1f}{row['peak_mib']:>10.0f}  "
                         f"{verdict(row['seconds'], 'chapter_s')}")
        lines.append(f"{'whole book':<22}{r['book_s']:>10.1f}{'':>10}  target < 180 s: "
                     f"{verdict(r['book_s'], 'book_s')}")
        lines.append("")
    s, n = r["precompute"]["small_body"], r["precompute"]["resnet18_64px"]
    lines += [
        f"{'precompute':<22}{'cached s':>10}{'frozen s':>10}{'speed-up':>10}  target",
        f"{'small body':<22}{s['cached_epoch_s']:>10.3f}{s['frozen_body_epoch_s']:>10.3f}"
        f"{s['speedup_x']:>9.1f}x  >= 5x: {verdict(s['speedup_x'], 'precompute_small_x')}",
        f"{'resnet18, 64 px':<22}{n['cached_epoch_s']:>10.3f}{n['frozen_body_epoch_s']:>10.3f}"
        f"{n['speedup_x']:>9.1f}x  >= 25x: {verdict(n['speedup_x'], 'precompute_resnet18_x')}",
        f"{'cached vs head floor':<22}{s['cached_epoch_s']:>10.3f}{s['head_floor_epoch_s']:>10.3f}"
        f"{s['cached_vs_floor_x']:>9.2f}x  <= 1.3x: {verdict(s['cached_vs_floor_x'], 'cached_vs_floor_x')}",
        f"{'computing activations once':<28} small body {s['precompute_once_s']:.2f} s, "
        f"resnet18 {n['precompute_once_s']:.2f} s",
        "",
        f"dropout on {r['dropout']['elements']:,} elements: from scratch "
        f"{r['dropout']['from_scratch_s'] * 1000:.1f} ms, F.dropout "
        f"{r['dropout']['torch_s'] * 1000:.1f} ms, ratio {r['dropout']['ratio_x']:.2f}x",
    ]
    if "site" in r:
        lines.append(f"site build: cold {r['site']['build_cold_s']:.1f} s, warm "
                     f"{r['site']['build_warm_s']:.1f} s; make setup when installed "
                     f"{r['site']['setup_installed_s']:.1f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "latest.json"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-notebooks", action="store_true")
    parser.add_argument("--skip-site", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    L.setup(seed=0)
    results: dict = {"date": time.strftime("%Y-%m-%d"), "repeats": args.repeats}
    cache = ROOT / "_build" / "bench-cache"
    subprocess.run(["rm", "-rf", str(cache)], check=True)
    if not args.skip_site:  # first: it is the part most likely to fail (a broken page)
        progress("building the site, cold then warm")
        results["site"] = bench_site(ROOT / "_build" / "bench-site")
    if not args.skip_notebooks:
        results["notebooks"] = bench_notebooks(args.repeats)
        results["book_s"] = sum(r["seconds"] for r in results["notebooks"].values())
    progress("precompute: small body, then resnet18 at 64 px")
    results["precompute"] = bench_precompute(args.repeats, cache)
    progress("dropout")
    results["dropout"] = bench_dropout(args.repeats)
    results["machine"] = machine()
    results["bench_total_s"] = time.perf_counter() - started
    results["targets"] = {k: {"text": t, "value": v, "unit": u} for k, (t, v, u) in TARGETS.items()}
    print(report(results))
    print(f"make bench took {results['bench_total_s'] / 60:.1f} min")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
