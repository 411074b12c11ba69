"""Re-run chapter notebooks top to bottom, each in a fresh kernel, and store their outputs.

Usage: python scripts/execute.py chapters/01_custom_head.ipynb [...]

For authors, through `make execute`: the stored outputs are what the site shows and what
nbval compares, so they must come from a clean run. Prints each notebook's wall time.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

# The kernel environment is the one the tests run the chapters in, defined in tests/.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import kernelenv  # noqa: E402


def execute(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    # shutdown_kernel="immediate": the outputs are in, and a kernel that imported torch takes
    # about a second to exit when asked
    NotebookClient(nb, timeout=timeout, kernel_name="python3", shutdown_kernel="immediate",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds


def main(paths: list[str]) -> int:
    kernelenv.apply()  # the kernels inherit it: no progress bars, figures drawn
    total = 0.0
    for p in paths:
        seconds = execute(Path(p))
        total += seconds
        print(f"{p}: {seconds:.1f} s")
    print(f"all: {total:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
