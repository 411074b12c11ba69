"""The Colab route, walked as a student walks it, in a fresh virtual environment.

Colab gives a kernel with torch, torchvision, numpy, matplotlib, ipykernel and pip, and nothing
of ours: no ``lecnotes``, no myst-nb, no data. The test builds exactly that environment, opens
chapter 1's student edition (``notebooks/``) from a folder outside the repository, and runs it
top to bottom with nbclient:

* the first cell must install ``lecnotes``, here from this checkout (``LECNOTES_INSTALL_FROM``,
  since CI cannot reach GitHub), and nothing but it and the small pure-Python packages it needs
  that the environment lacks (tqdm, pooch and pooch's requests): not a torch of its own, nor
  any library the environment already has;
* ``L.target_task()`` must fetch Fashion-MNIST by itself, here from a server on 127.0.0.1
  (``LECNOTES_DATA_URL``) into an empty cache folder;
* no cell may raise.

Then a second edition's install cell, in a new kernel, must find ``lecnotes`` and do nothing,
and every edition's imports must resolve in that environment. (Strict nbval runs every chapter
top to bottom in the test environment; what Colab could lack is a package, which the import
check catches for all editions at once.)

Colab's packages come preinstalled, and so they do here: the fresh venv sees exactly those six
packages and what they depend on (with the extras they ask for: torch's CUDA libraries), linked
from the installed files of this test environment (the files pip would unpack again, about 6 GB,
which cost a minute and a half per run). Nothing else is visible in it; lecnotes and myst-nb
are not, which the first test asserts, and ``pip install`` in the first cell must work against
it.
"""

from __future__ import annotations

import ast
import gzip
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from sitehost import serve

from lecnotes import data, fashion

ROOT = Path(__file__).resolve().parent.parent
COLAB_PACKAGES = ["torch", "torchvision", "numpy", "matplotlib", "ipykernel", "pip"]
# What the first cell may add to the environment: lecnotes, and its dependencies that the
# packages above do not bring (pooch needs requests, which needs these four; platformdirs and
# packaging come with ipykernel and matplotlib).
INSTALLED_BY_THE_FIRST_CELL = {"lecnotes", "tqdm", "pooch", "requests", "urllib3", "idna",
                               "certifi", "charset-normalizer"}
CHAPTERS = ["01_custom_head"]  # run top to bottom
AGAIN = "04_averaging"  # its install cell only, once the first chapter has installed lecnotes
# Which torch the venv would import, and whether it finds lecnotes, found the way `import` finds
# them but without importing torch (about 3 s of CPU in each Python that does).
WHICH_TORCH = ("from importlib.metadata import version; from importlib.util import find_spec; "
               "print(version('torch'), find_spec('torch').origin, find_spec('lecnotes') is not None)")


def _python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)


def _distributions(names: list[str]) -> dict[str, metadata.Distribution]:
    """The installed distributions ``names`` need to run: themselves and their dependencies,
    with the extras they ask for (torch's ``cuda-toolkit[cublas,...]`` brings the CUDA libraries).
    """
    found: dict[str, metadata.Distribution] = {}
    done: set[tuple[str, str]] = set()
    todo = [(name, "") for name in names]
    while todo:
        name, extra = todo.pop()
        name = canonicalize_name(name)
        if (name, extra) in done:
            continue
        done.add((name, extra))
        if name not in found:
            found[name] = metadata.distribution(name)
        dist = found[name]
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": extra}):
                todo += [(req.name, "")] + [(req.name, e) for e in req.extras]
    return found


def _link_packages(names: list[str], folder: Path) -> None:
    """Link the files of ``names`` and their dependencies into ``folder``, as one site folder."""
    folder.mkdir()
    for dist in _distributions(names).values():
        site = Path(dist.locate_file(""))
        tops = {Path(f).parts[0] for f in dist.files or [] if not str(f).startswith("..")}
        for top in tops:
            if (site / top).exists() and not (folder / top).exists():
                (folder / top).symlink_to(site / top)


@pytest.fixture(scope="module")
def colab(tmp_path_factory) -> dict:
    """A fresh venv that sees Colab's usual packages only, and a kernel spec that runs it."""
    base = tmp_path_factory.mktemp("colab")
    venv = base / "venv"
    # no pip or setuptools of the venv's own: an old setuptools there would hide the linked one
    # from pip, which would then install torch's setuptools>=77 again
    _run(sys.executable, "-m", "venv", "--without-pip", venv).check_returncode()
    py = _python(venv)
    _link_packages(COLAB_PACKAGES, base / "preinstalled")
    site = Path(_run(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (site / "preinstalled.pth").write_text(f"{base / 'preinstalled'}\n", encoding="utf-8")
    jupyter_path = base / "jupyter"
    spec = _run(py, "-m", "ipykernel", "install", "--prefix", base / "prefix", "--name", "colab")
    assert spec.returncode == 0, spec.stderr
    shutil.copytree(base / "prefix" / "share" / "jupyter", jupyter_path)
    which_torch = _run(py, "-c", WHICH_TORCH, cwd=base).stdout.split()  # before the first cell
    return {"venv": venv, "python": py, "jupyter_path": jupyter_path, "which_torch": which_torch,
            "base": base, "site": site}


@pytest.fixture(scope="module")
def data_server(tmp_path_factory):
    """Fashion-MNIST's four .gz files, served on 127.0.0.1 as the official mirror serves them."""
    folder = tmp_path_factory.mktemp("mirror")
    source = data.find_data_dir()
    for name in [n for pair in data.FILES.values() for n in pair]:
        path = fashion.find(name, source)
        target = folder / f"{name}.gz"
        if path.suffix == ".gz":
            shutil.copyfile(path, target)
        else:
            target.write_bytes(gzip.compress(path.read_bytes()))
    with serve(folder) as url:
        yield f"{url}/"


@pytest.fixture(scope="module")
def ran(colab, data_server, tmp_path_factory) -> dict[str, nbformat.NotebookNode]:
    """Chapter 1's student edition run top to bottom in the Colab-like kernel, then another
    edition's install cell in a new kernel."""
    work = tmp_path_factory.mktemp("content")  # like Colab's /content: no repository around
    cache = tmp_path_factory.mktemp("cache")
    env = {k: v for k, v in os.environ.items()  # nothing of ours leaks in: progress bars on, as on Colab
           if k not in ("MPLBACKEND", "LECNOTES_DATA", "LECNOTES_PROGRESS", "VIRTUAL_ENV", "PYTHONPATH")}
    checkout = tmp_path_factory.mktemp("checkout") / "lesson4"  # pip builds in the source tree
    shutil.copytree(ROOT, checkout, ignore=shutil.ignore_patterns(
        ".venv", "_build", "build", ".git", "*.egg-info", "__pycache__", ".ipynb_checkpoints"))
    env.update(LECNOTES_INSTALL_FROM=str(checkout), LECNOTES_DATA_URL=data_server,
               XDG_CACHE_HOME=str(cache), JUPYTER_PATH=str(colab["jupyter_path"]),
               PATH=f"{colab['python'].parent}{os.pathsep}{env.get('PATH', '')}")
    env["LECNOTES_SYSTEM_DATA"] = str(work / "no-system-copy")  # Colab has no Debian copy either
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(colab["jupyter_path"])
    results = {}
    try:
        for name in CHAPTERS:
            path = work / f"{name}.ipynb"
            shutil.copyfile(ROOT / "notebooks" / f"{name}.ipynb", path)
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                if cell.cell_type == "code":  # as a student opens it: the book's outputs go
                    cell.outputs, cell.execution_count = [], None
            NotebookClient(nb, kernel_name="colab", timeout=900, shutdown_kernel="immediate",
                           resources={"metadata": {"path": str(work)}}).execute(env=env)
            results[name] = nb
        again = nbformat.read(ROOT / "notebooks" / f"{AGAIN}.ipynb", as_version=4)
        again.cells = [again.cells[0]]
        again.cells[0].outputs = []
        NotebookClient(again, kernel_name="colab", timeout=900, shutdown_kernel="immediate",
                       resources={"metadata": {"path": str(work)}}).execute(env=env)
        results[AGAIN] = again
    finally:
        if old is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = old
    results["_cache"] = cache
    return results


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def test_the_colab_environment_starts_without_lecnotes_or_myst_nb(colab):
    check = _run(colab["python"], "-c", "import importlib.util as u; "
                 "print(u.find_spec('lecnotes'), u.find_spec('myst_nb'))", cwd=colab["base"])
    assert check.stdout.split() == ["None", "None"], check.stdout + check.stderr


@pytest.mark.parametrize("name", CHAPTERS)
def test_student_edition_runs_top_to_bottom_in_a_colab_like_kernel(ran, name):
    nb = ran[name]
    errors = [c for c in nb.cells if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert not errors, errors[0]


def test_the_first_cell_installs_lecnotes_once_and_keeps_the_kernels_torch(ran, colab):
    first = [ran[name].cells[0] for name in (*CHAPTERS, AGAIN)]
    assert "Installing" in _text(first[0])  # the first chapter installs
    assert _text(first[1]) == ""            # the second finds it and does nothing
    before = colab["which_torch"]
    after = _run(colab["python"], "-c", WHICH_TORCH, cwd=colab["base"]).stdout.split()
    assert after == [*before[:2], "True"], f"before the first cell: {before}; after: {after}"
    assert after[1].startswith(str(colab["base"] / "preinstalled")), "pip put a torch of its own in the venv"
    added = {canonicalize_name(d.name.split("-")[0]) for d in colab["site"].glob("*.dist-info")}
    assert added == INSTALLED_BY_THE_FIRST_CELL, f"pip installed {sorted(added)}"


def test_the_data_was_downloaded_into_the_empty_cache(ran):
    folder = ran["_cache"] / "lecnotes" / "fashion-mnist"
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(f"{n}.gz" for pair in data.FILES.values() for n in pair), names


def test_the_figures_show_when_a_student_runs_the_chapter(ran):
    images = [o for c in ran["01_custom_head"].cells if c.cell_type == "code"
              for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2


@pytest.mark.parametrize("name", CHAPTERS)
def test_no_cell_warns_the_student(ran, name):
    """A bare kernel (no ipywidgets, progress bars on) still shows no warning in any cell."""
    stderr = [o.text for c in ran[name].cells if c.cell_type == "code"
              for o in c.outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not [t for t in stderr if "Warning" in t], stderr


def _imported(nb: nbformat.NotebookNode) -> set[str]:
    """The top-level modules a notebook's code cells import (IPython's magics left out)."""
    names = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(line[: len(line) - len(line.lstrip())] + "pass"  # keeps the indent
                         if line.lstrip().startswith(("%", "!")) else line
                         for line in cell.source.splitlines())
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def test_every_editions_imports_resolve_once_lecnotes_is_installed(ran, colab):
    editions = sorted((ROOT / "notebooks").glob("*.ipynb"))
    wanted = sorted(set().union(*(_imported(nbformat.read(p, as_version=4)) for p in editions)))
    assert {"lecnotes", "torch", "IPython"} <= set(wanted), wanted  # the parser sees imports
    check = _run(colab["python"], "-c", "import sys, importlib.util as u; "
                 "print(*[m for m in sys.argv[1:] if u.find_spec(m) is None])", *wanted,
                 cwd=colab["base"])
    assert check.returncode == 0 and check.stdout.split() == [], (
        f"missing on Colab after the install cell: {check.stdout.split()} {check.stderr}")
