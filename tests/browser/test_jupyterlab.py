"""The student editions (notebooks/NAME.ipynb) as a student meets them: in the real JupyterLab of the
venv, with jupyterlab-myst, in Debian's Chromium.

One JupyterLab server runs for the module, on 127.0.0.1 with a random token, serving a temporary copy
of notebooks/ and with its config, runtime, data, settings and workspace folders in tmp, so that
nothing is read from or written to the home folder or the repository. As a student keeps it,
JupyterLab is loaded once, in one page: the first chapter opens from its URL, each later one with a
double click in the file browser, and each is closed after its visit. Every chapter is scrolled
from top to bottom (JupyterLab 4 only lays out the cells near the viewport); at every step
the visible text of the rendered prose and of the outputs, the figures, the exercise and
solution blocks and the collapsed inputs and outputs are collected. The tests then check
that no site-only markup or glue key shows, that every solution is folded, that as many
figures show as on the site's page, that the cells the site hides are collapsed (the
install cell under its first line), and that the chapter is not marked modified, neither
once its kernel is up nor after the reading.
Screenshots go to _build/screenshots/jupyterlab/.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sitekit import ROOT, SHOTS, dismiss

pytestmark = pytest.mark.long  # five chapters opened and read in one JupyterLab

CHAPTERS = ("01_custom_head", "02_dropout", "03_choosing_p", "04_averaging", "05_xtra_fc")
LAB_SHOTS = SHOTS / "jupyterlab"
START_TIMEOUT = 60  # seconds for the server to answer /api/status
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in the front tab

# Markup that only the site build understands, and what a broken MyST render or a leftover test
# marker would show.
SITE_ONLY = ("{glue", "{exercise", "{solution", "{cite", "{doc", "Unknown Directive", "NBVAL")
# Visible on purpose, each with the reason; the check runs on the text without them.
SHOWN_ON_PURPOSE = {
    "# NBVAL_RAISES_EXCEPTION":
        "05_xtra_fc runs calls that must fail; each such code cell starts with this comment, the prose "
        "above them explains it, and the stored tracebacks quote the cell's first line. The student "
        "sees the comment in the code itself.",
}
# The parts of a cell whose tag makes the site (Jupyter Book) remove them or fold them.
HIDES_INPUT = {"remove-cell", "hide-cell", "remove-input", "hide-input"}
HIDES_OUTPUT = {"remove-cell", "hide-cell", "remove-output", "hide-output"}
INSTALL_ID = "install-lecnotes"  # the first cell; it prints one line when it installs
# Whether the front tab shows the notebook as modified, once its kernel is up and idle.
DIRTY_JS = "(sel) => document.querySelector(sel).classList.contains('jp-mod-dirty')"
FRONT_TAB = ".lm-DockPanel-tabBar .lm-mod-current"
KERNEL_IDLE = f'{PANEL} .jp-Notebook-ExecutionIndicator[data-status="idle"]'
# Every glue key of the chapters is ch<chapter>_<name>; names may hold capitals (ch4_e1_A).
GLUE_KEY = re.compile(r"\bch[1-5]_\w+\b", re.ASCII)
DIRECTIVE = r"^[ \t]*(?:`{{3,}}|:{{3,}})\{{{}\}}"

# The images of a cell: in its outputs, or in its rendered prose (jupyterlab-myst or plain).
IMAGES = ".jp-OutputArea img, .jp-Cell-inputArea .myst img, .jp-Cell-inputArea .jp-RenderedMarkdown img"
# Scrolls nothing; reports the cells that intersect the notebook's viewport, once the markdown
# among them is rendered and their images are loaded (waits at most ~2 s for that).
COLLECT_JS = """
async ([sel, imgSel]) => {
  const panel = document.querySelector(sel);
  const scroller = panel.querySelector('.jp-WindowedPanel-outer');
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const rendered = c => c.querySelector('.jp-Cell-inputArea .myst, .jp-Cell-inputArea .jp-RenderedMarkdown');
  const images = c => [...c.querySelectorAll(imgSel)];
  let inView = [];
  for (let t = 0; t < 40; t++) {
    const box = scroller.getBoundingClientRect();
    inView = [...panel.querySelectorAll('.jp-Cell[data-windowed-list-index]')].filter(c => {
      const r = c.getBoundingClientRect();
      return r.height > 0 && r.bottom > box.top && r.top < box.bottom;
    });
    const ready = inView.every(c => (!c.classList.contains('jp-MarkdownCell') || rendered(c))
                                    && images(c).every(i => i.complete));
    if (ready && inView.length) break;
    await sleep(50);
  }
  const cells = inView.map(c => {
    const md = c.classList.contains('jp-MarkdownCell');
    const prose = md ? rendered(c) : null;
    const out = c.querySelector('.jp-OutputArea');
    return {
      index: Number(c.dataset.windowedListIndex),
      type: md ? 'markdown' : (c.classList.contains('jp-CodeCell') ? 'code' : 'raw'),
      myst: !!(prose && prose.classList.contains('myst')),
      text: [prose ? prose.innerText : '', out ? out.innerText : ''].join('\\n'),
      headings: prose ? prose.querySelectorAll('h1, h2, h3').length : 0,
      katex: prose ? prose.querySelectorAll('.katex').length : 0,
      inputHidden: !!c.querySelector('.jp-InputPlaceholder'),
      summary: (c.querySelector('.jp-InputPlaceholder .jp-PlaceholderText')
                || {}).textContent,
      outputHidden: !!c.querySelector('.jp-OutputPlaceholder'),
      images: images(c).map((img, n) => ({n, src: (img.getAttribute('src') || '').slice(0, 60),
                                          width: img.naturalWidth, complete: img.complete})),
      blocks: prose ? [...prose.querySelectorAll('.myst-exercise')].map(b => {
        const title = b.querySelector('.myst-exercise-title');
        const body = b.querySelector('.myst-exercise-body');
        return {tag: b.tagName.toLowerCase(), open: b.hasAttribute('open'),
                title: title ? title.innerText.trim() : '',
                bodyVisible: body ? body.checkVisibility() : null,
                bodyText: body ? body.textContent.trim() : ''};
      }) : [],
    };
  });
  return {cells, top: scroller.scrollTop, height: scroller.scrollHeight, client: scroller.clientHeight};
}
"""

# Scrolls the notebook by a share of its height (negative: up); says whether it moved.
SCROLL_JS = """
([sel, share]) => {
  const s = document.querySelector(sel).querySelector('.jp-WindowedPanel-outer');
  const before = s.scrollTop;
  s.scrollTop = Math.max(0, before + Math.round(s.clientHeight * share));
  return s.scrollTop !== before;
}
"""
STEP, BACK = 0.8, -0.5  # down by 80% of the view (20% overlap); up by half of it to find a cell
# How often one gap may send the scroll back up before the test gives up on it (and fails).
BACKTRACKS_PER_GAP = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, n: int = 4000) -> str:
    return path.read_text(errors="replace")[-n:] if path.exists() else "(no log)"


def _api(base: str, token: str, path: str, method: str = "GET"):
    req = urllib.request.Request(f"{base}{path}", method=method,
                                 headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=5) as r:
        body = r.read()
    return json.loads(body) if body else None


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """The venv's JupyterLab on 127.0.0.1, serving a copy of notebooks/; yields (base URL, token)."""
    tmp = tmp_path_factory.mktemp("jupyterlab")
    root = tmp / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    dirs = {name: tmp / name for name in ("config", "runtime", "data", "settings", "workspaces", "ipython")}
    for d in dirs.values():
        d.mkdir()
    # No news prompt, no update check, no autosave: what the page shows is the notebook alone.
    plugin = dirs["settings"] / "@jupyterlab"
    (plugin / "apputils-extension").mkdir(parents=True)
    (plugin / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    (plugin / "docmanager-extension").mkdir()
    (plugin / "docmanager-extension" / "plugin.jupyterlab-settings").write_text(
        json.dumps({"autosave": False}))

    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    env.update(JUPYTER_CONFIG_DIR=str(dirs["config"]), JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
               JUPYTER_DATA_DIR=str(dirs["data"]), JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
               JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]), IPYTHONDIR=str(dirs["ipython"]),
               JUPYTER_PLATFORM_DIRS="1")
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--ServerApp.open_browser=False", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           f"--LabApp.user_settings_dir={dirs['settings']}", f"--LabApp.workspaces_dir={dirs['workspaces']}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # the test machines run as root
    log = tmp / "jupyterlab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {proc.returncode}:\n{_tail(log)}")
            try:
                _api(base, token, "/api/status")
                break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer /api/status in {START_TIMEOUT} s:\n{_tail(log)}")
                time.sleep(0.25)
        yield base, token
    finally:
        proc.terminate()  # the server shuts its kernels down on SIGTERM
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _chapter(name: str) -> dict:
    return json.loads((ROOT / "chapters" / f"{name}.ipynb").read_text())


def _markdown(nb: dict) -> str:
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def _glue_keys(nb: dict) -> set[str]:
    return {out["metadata"]["scrapbook"]["name"] for c in nb["cells"] for out in c.get("outputs", [])
            if out.get("metadata", {}).get("scrapbook")}


def _count(directive: str, nb: dict) -> int:
    return len(re.findall(DIRECTIVE.format(directive), _markdown(nb), re.M))


def _dismiss(page) -> None:
    """Close whatever dialog or toast JupyterLab put over the notebook."""
    dismiss(page, ".jp-Dialog .jp-Dialog-button.jp-mod-reject", ".jp-Notification-Toast-Close")


def _shoot_image(page, index: int, n: int, path: Path) -> None:
    """A screenshot with image n of cell `index` in the middle of the screen; the scroll is restored."""
    page.evaluate("""([sel, imgSel, index, n]) => {
        const s = document.querySelector(sel).querySelector('.jp-WindowedPanel-outer');
        window.__labTestScroll = s.scrollTop;
        const cell = document.querySelector(`${sel} .jp-Cell[data-windowed-list-index="${index}"]`);
        cell.querySelectorAll(imgSel)[n].scrollIntoView({block: 'center'});
    }""", [PANEL, IMAGES, index, n])
    page.wait_for_timeout(250)
    page.screenshot(path=str(path))
    page.evaluate("(sel) => { document.querySelector(sel).querySelector('.jp-WindowedPanel-outer')"
                  ".scrollTop = window.__labTestScroll; }", PANEL)
    page.wait_for_timeout(100)


class _Lab:
    """The JupyterLab page a student keeps open: loaded once, from the first chapter's URL; every
    later chapter is opened from the file browser with a double click, and closed afterwards.

    Loading the app costs about 12 s of CPU in Chromium, opening a notebook in it about 2.5 s. The
    console, page errors and requests to other hosts are recorded for the whole page; each visit
    takes the ones that came while it was open.
    """

    def __init__(self, browser, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.ctx.new_page()
        self.problems: list[str] = []
        self.foreign: list[str] = []
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.route("**/*", self._route)
        self.started = False

    def _route(self, r) -> None:
        if r.request.url.startswith((self.base, "data:", "blob:")):
            r.continue_()
        else:
            self.foreign.append(r.request.url)
            r.abort()

    def open(self, name: str) -> None:
        """Open notebooks/NAME.ipynb in the front tab and wait until its prose is rendered."""
        page = self.page
        if not self.started:
            page.goto(f"{self.base}/lab/tree/{name}.ipynb?reset&token={self.token}",
                      wait_until="domcontentloaded")
            self.started = True
        else:
            page.wait_for_selector(".jp-DirListing-content", timeout=60_000)
            page.locator(".jp-DirListing-content").get_by_text(f"{name}.ipynb", exact=True).dblclick()
        page.wait_for_selector(f"{PANEL} .jp-Notebook", timeout=60_000)
        page.wait_for_selector(f"{PANEL} .jp-MarkdownCell .jp-Cell-inputArea .myst, "
                               f"{PANEL} .jp-MarkdownCell .jp-Cell-inputArea .jp-RenderedMarkdown",
                               timeout=60_000)
        page.wait_for_timeout(500)
        _dismiss(page)

    def close_front_tab(self) -> None:
        """Close the notebook in the front tab; asked to save, discard.

        A chapter opens unmodified (a test checks it), so the close asks only when that
        test fails; discarding keeps the later visits going.
        """
        page = self.page
        page.locator(".lm-DockPanel-tabBar .lm-mod-current .lm-TabBar-tabCloseIcon").click()
        asked_or_closed = "(sel) => document.querySelector('.jp-Dialog') || !document.querySelector(sel)"
        page.wait_for_function(asked_or_closed, arg=PANEL, timeout=30_000)
        discard = page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-warn")
        if discard.count():
            discard.click()
        page.wait_for_selector(PANEL, state="detached", timeout=30_000)

    def close(self) -> None:
        self.ctx.close()


def _visit(lab: _Lab, name: str) -> dict:
    """Open one chapter, scroll it top to bottom and collect what shows."""
    page = lab.page
    first_problem, first_foreign = len(lab.problems), len(lab.foreign)
    for old in LAB_SHOTS.glob(f"{name}-*.png"):  # no screenshot of an earlier run stays behind
        old.unlink()
    started = time.monotonic()
    try:
        lab.open(name)
        loaded = time.monotonic() - started
        page.wait_for_selector(KERNEL_IDLE, timeout=60_000)
        page.wait_for_timeout(1000)  # JupyterLab writes the kernel's spec into the file
        dirty = {"opened": page.evaluate(DIRTY_JS, FRONT_TAB)}
        title = page.inner_text(".lm-DockPanel-tabBar .lm-mod-current .lm-TabBar-tabLabel")
        shots = [LAB_SHOTS / f"{name}-first-screen.png"]
        page.screenshot(path=str(shots[0]))

        cells: dict[int, dict] = {}
        figures: dict[str, dict] = {}
        backtracks: dict[tuple[int, ...], int] = {}  # gap -> times the scroll went back for it
        for _step in range(400):
            view = page.evaluate(COLLECT_JS, [PANEL, IMAGES])
            for cell in view["cells"]:
                seen = cells.setdefault(cell["index"], {**cell, "images": []})
                if len(cell["text"]) > len(seen["text"]):
                    seen.update({k: v for k, v in cell.items() if k != "images"})
                for img in cell["images"]:
                    key = f"{cell['index']}:{img['n']}"
                    if key not in figures:
                        figures[key] = img
                        shot = LAB_SHOTS / f"{name}-figure-{len(figures)}.png"
                        _shoot_image(page, cell["index"], img["n"], shot)
                        shots.append(shot)
                    elif img["width"] > figures[key]["width"]:
                        figures[key] = img
            # Trap: the windowed list lays cells out with estimated heights and corrects them as
            # they render, so on a busy machine a short cell can pass the top of the view between
            # two steps. A student would scroll back up a little; so does the test.
            gap = tuple(i for i in range(max(cells, default=0)) if i not in cells)
            if gap and backtracks.get(gap, 0) < BACKTRACKS_PER_GAP:
                backtracks[gap] = backtracks.get(gap, 0) + 1
                page.evaluate(SCROLL_JS, [PANEL, BACK])
            elif not page.evaluate(SCROLL_JS, [PANEL, STEP]):
                break
            page.wait_for_timeout(120)
        # The end of the chapter (the scroll went past it): its exercises, with the solutions folded.
        page.evaluate("(sel) => [...document.querySelectorAll(`${sel} .jp-Cell`)].pop()"
                      ".scrollIntoView({block: 'end'})", PANEL)
        page.wait_for_timeout(250)
        shots.append(LAB_SHOTS / f"{name}-last-screen.png")
        page.screenshot(path=str(shots[-1]))
        dirty["read"] = page.evaluate(DIRTY_JS, FRONT_TAB)
        lab.close_front_tab()
    finally:
        seconds = time.monotonic() - started
    return {"title": title, "cells": cells, "figures": figures, "shots": shots, "backtracks": backtracks,
            "problems": lab.problems[first_problem:], "foreign": lab.foreign[first_foreign:],
            "loaded": loaded, "seconds": seconds, "dirty": dirty,
            "text": "\n".join(cells[i]["text"] for i in sorted(cells))}


@pytest.fixture(scope="module")
def visit(jupyterlab, browser):
    """visit(name) -> what one chapter shows in JupyterLab (each chapter is visited once, all of
    them in one JupyterLab page)."""
    base, token = jupyterlab
    LAB_SHOTS.mkdir(parents=True, exist_ok=True)
    lab = _Lab(browser, base, token)
    done: dict[str, dict] = {}

    def one(name: str) -> dict:
        if name not in done:
            done[name] = _visit(lab, name)
            v = done[name]
            print(f"\n{name}: rendered in {v['loaded']:.1f} s, scrolled through in {v['seconds']:.1f} s "
                  f"(scrolled back up {sum(v['backtracks'].values())} times for a cell it had passed); "
                  f"screenshots:\n  " + "\n  ".join(str(s) for s in v["shots"]))
            for session in _api(base, token, "/api/sessions") or []:  # one idle kernel at a time
                _api(base, token, f"/api/sessions/{session['id']}", method="DELETE")
        return done[name]

    yield one
    lab.close()


def test_every_glue_key_of_the_chapters_matches_the_key_pattern():
    for name in CHAPTERS:
        keys = _glue_keys(_chapter(name))
        assert keys, f"{name} glues nothing: is its stored run missing?"
        wrong = sorted(k for k in keys if not GLUE_KEY.fullmatch(k) or not k.startswith(f"ch{name[1]}_"))
        assert wrong == [], f"{name}: glue keys outside the pattern {GLUE_KEY.pattern}: {wrong}"


def test_jupyterlab_lists_jupyterlab_myst_as_enabled(jupyterlab):
    base, token = jupyterlab
    extensions = {e["name"]: e for e in _api(base, token, "/lab/api/extensions")}
    assert "jupyterlab-myst" in extensions, f"jupyterlab-myst is not installed: {sorted(extensions)}"
    assert extensions["jupyterlab-myst"]["enabled"], extensions["jupyterlab-myst"]


@pytest.mark.parametrize("name", CHAPTERS)
def test_the_chapter_opens_without_errors_and_every_cell_is_seen(visit, name):
    v = visit(name)
    assert v["title"] == f"{name}.ipynb", f"the front tab is {v['title']!r}"
    n = len(json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())["cells"])
    assert sorted(v["cells"]) == list(range(n)), f"cells never scrolled into view: " \
        f"{sorted(set(range(n)) - set(v['cells']))}"
    assert v["foreign"] == [], f"JupyterLab asked for other hosts: {v['foreign']}"
    errors = [p for p in v["problems"] if not p.startswith("console warning")]
    assert errors == [], f"{name}: errors in the page: {errors}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_jupyterlab_myst_renders_the_prose(visit, name):
    v = visit(name)
    markdown = [c for c in v["cells"].values() if c["type"] == "markdown"]
    plain = [c["index"] for c in markdown if not c["myst"]]
    assert not plain, f"{name}: markdown cells {plain} are not rendered by jupyterlab-myst " \
        "(is the extension missing or failing to load?)"
    assert any(c["headings"] for c in markdown), f"{name}: no rendered heading"
    blocks = [b for c in markdown for b in c["blocks"]]
    exercises = [b for b in blocks if not b["title"].startswith("Solution")]
    assert len(exercises) == _count("exercise", _chapter(name)), [b["title"] for b in exercises]
    if "$$" in _markdown(_chapter(name)):
        assert sum(c["katex"] for c in markdown), f"{name}: display math is not typeset"
    assert "$$" not in "\n".join(c["text"] for c in markdown), f"{name}: raw TeX shows"


@pytest.mark.parametrize("name", CHAPTERS)
def test_no_site_only_markup_or_glue_key_shows(visit, name):
    text = visit(name)["text"]
    for phrase in SHOWN_ON_PURPOSE:
        text = text.replace(phrase, "")
    shown = [s for s in SITE_ONLY if s in text]
    assert shown == [], f"{name}: {shown} visible in JupyterLab"
    keys = sorted(set(GLUE_KEY.findall(text)) | {k for k in _glue_keys(_chapter(name))
                                                 if re.search(rf"\b{re.escape(k)}\b", text)})
    assert keys == [], f"{name}: raw glue keys visible: {keys}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_solution_is_folded(visit, name):
    v = visit(name)
    solutions = [b for c in v["cells"].values() for b in c["blocks"] if b["title"].startswith("Solution")]
    assert len(solutions) == _count("solution", _chapter(name)) > 0, [b["title"] for b in solutions]
    for s in solutions:
        assert s["tag"] == "details" and not s["open"], f"{name}: {s['title']} is not a folded dropdown: {s}"
        assert s["bodyVisible"] is False, f"{name}: the body of {s['title']} is visible"
        first_line = " ".join(s["bodyText"].split())[:60]
        assert first_line and first_line not in " ".join(v["text"].split()), \
            f"{name}: the text of {s['title']} shows: {first_line!r}"


def _site_figures(page, html: Path) -> int:
    page.goto(html.as_uri(), wait_until="domcontentloaded")
    return page.eval_on_selector_all("main figure img", "els => els.length")


@pytest.mark.parametrize("name", CHAPTERS)
def test_as_many_figures_show_as_on_the_site(visit, built_site, browser, name):
    v = visit(name)
    page = browser.new_page()
    try:
        expected = _site_figures(page, built_site / "chapters" / f"{name}.html")
    finally:
        page.close()
    assert expected > 0, f"the site's {name} page shows no figure"
    figures = v["figures"]
    assert len(figures) == expected, f"{name}: {len(figures)} figures in JupyterLab, {expected} on the site"
    broken = [k for k, img in figures.items() if not (img["complete"] and img["width"] > 0)]
    assert broken == [], f"{name}: images not decoded (cell:image) {broken}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_screenshots_of_the_first_screen_and_a_figure_are_saved(visit, name):
    shots = visit(name)["shots"]
    assert shots[0].name == f"{name}-first-screen.png"
    assert any("-figure-" in s.name for s in shots)
    for shot in shots:
        assert shot.is_file() and shot.stat().st_size > 10_000, shot


def _hidden_by_the_site(name: str, part: str) -> list[int]:
    """The cells of the chapter whose "input" or "output" the site removes or folds.

    The install cell's output is left open: it is the line it prints when it installs.
    """
    tags = HIDES_INPUT if part == "input" else HIDES_OUTPUT
    hidden = []
    for i, cell in enumerate(_chapter(name)["cells"]):
        has_output = cell["cell_type"] == "code" and cell.get("id") != INSTALL_ID
        tagged = tags & set(cell["metadata"].get("tags", []))
        if tagged and (part == "input" or has_output):
            hidden.append(i)
    return hidden


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_cell_the_site_hides_is_collapsed(visit, name):
    cells = visit(name)["cells"]
    inputs = sorted(i for i, c in cells.items() if c["inputHidden"])
    outputs = sorted(i for i, c in cells.items() if c["outputHidden"])
    assert inputs == _hidden_by_the_site(name, "input"), f"{name}: collapsed inputs"
    assert outputs == _hidden_by_the_site(name, "output"), f"{name}: collapsed outputs"
    assert len(inputs) > 1, f"{name}: only the install cell is hidden on the site?"


@pytest.mark.parametrize("name", CHAPTERS)
def test_the_install_cell_is_collapsed_under_its_one_line_summary(visit, name):
    first = visit(name)["cells"][0]
    summary = "".join(_chapter(name)["cells"][0]["source"]).splitlines()[0]
    assert first["inputHidden"] and first["summary"] == summary, first
    assert summary.startswith("# ") and "lecnotes" in summary


@pytest.mark.parametrize("name", CHAPTERS)
def test_the_chapter_is_not_marked_modified_by_opening_and_reading_it(visit, name):
    assert visit(name)["dirty"] == {"opened": False, "read": False}
