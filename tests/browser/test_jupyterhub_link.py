"""The JupyterHub launch button, switched on: an nbgitpuller link that opens the student edition.

_config.yml carries ``launch_buttons.jupyterhub_url`` as a commented line, ready for a class's
hub. This test switches that very line on in a small copy of the book (a one-paragraph intro and
chapter 1 with its student edition, the book's own Sphinx extensions and static files), builds
the copy, which takes seconds where the full book takes minutes, opens chapter 1 in Chromium and
reads the JupyterHub button's link. nbgitpuller's link format is ``<hub>/hub/user-redirect/
git-pull?repo=...&branch=...&urlpath=...``; the urlpath is relative to the student's home
folder, into which nbgitpuller clones the repository under its own name.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from kernelenv import kernel_env
from sitehost import serve
from sitekit import ROOT, repository

CHAPTER = "01_custom_head"
SWITCH = re.compile(r"^(?P<indent>[ \t]+)# jupyterhub_url: (?P<url>\S+)[ \t]*$", re.M)


def switched_on_config() -> tuple[str, str]:
    """_config.yml with its commented jupyterhub_url line switched on; (text, hub URL)."""
    text = (ROOT / "_config.yml").read_text(encoding="utf-8")
    found = list(SWITCH.finditer(text))
    assert len(found) == 1, "_config.yml should hold one commented `# jupyterhub_url: <address>` line"
    line = found[0]
    text = f"{text[:line.start()]}{line['indent']}jupyterhub_url: {line['url']}{text[line.end():]}"
    config = yaml.safe_load(text)
    assert config["launch_buttons"]["jupyterhub_url"] == line["url"], (
        "the switched-on line should land in the launch_buttons block")
    return text, line["url"]


def small_book(folder: Path, config: str) -> Path:
    """The intro and one chapter, with what their build needs from the repository."""
    (folder / "chapters").mkdir(parents=True)
    (folder / "_config.yml").write_text(config, encoding="utf-8")
    (folder / "_toc.yml").write_text(
        f"format: jb-book\nroot: intro\nchapters:\n  - file: chapters/{CHAPTER}\n", encoding="utf-8")
    (folder / "intro.md").write_text("# A small copy\n\nThe JupyterHub link test's book.\n",
                                     encoding="utf-8")
    shutil.copyfile(ROOT / "chapters" / f"{CHAPTER}.ipynb", folder / "chapters" / f"{CHAPTER}.ipynb")
    shutil.copyfile(ROOT / "references.bib", folder / "references.bib")
    for name in ("notebooks", "_static"):
        shutil.copytree(ROOT / name, folder / name)
    for name, where in yaml.safe_load(config)["sphinx"]["local_extensions"].items():
        (folder / where).mkdir(exist_ok=True)
        shutil.copyfile(ROOT / where / f"{name}.py", folder / where / f"{name}.py")
    return folder


@pytest.fixture(scope="module")
def hub_link(tmp_path_factory: pytest.TempPathFactory, browser) -> dict:
    """Build the small book, open the chapter in Chromium; the JupyterHub links on the page."""
    config, hub = switched_on_config()
    book = small_book(tmp_path_factory.mktemp("hubbook") / "book", config)
    jb = Path(sys.executable).with_name("jupyter-book")
    done = subprocess.run([str(jb), "build", str(book)], capture_output=True, text=True,
                          env=kernel_env(), timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with serve(book / "_build" / "html") as url:
        page = browser.new_page()
        try:
            page.goto(f"{url}/chapters/{CHAPTER}.html")
            links = page.eval_on_selector_all(
                "a[href*='/git-pull?']", "els => els.map(e => ({href: e.href, text: e.textContent}))")
        finally:
            page.close()
    return {"hub": hub, "links": links}


def test_the_jupyterhub_button_is_an_nbgitpuller_link_to_the_student_edition(hub_link: dict) -> None:
    links = hub_link["links"]
    assert len(links) == 1 and "JupyterHub" in links[0]["text"], f"one JupyterHub button expected: {links}"
    href = links[0]["href"]
    parts = urlsplit(href)
    assert f"{parts.scheme}://{parts.netloc}" == hub_link["hub"], href
    assert parts.path == "/hub/user-redirect/git-pull", href  # via the hub to the student's own server
    query = parse_qs(parts.query)
    url, branch = repository()
    assert query["repo"] == [url] and query["branch"] == [branch], query
    # JupyterLab's file view, the clone (named after the repository) in the home folder, the edition
    clone = urlsplit(url).path.rstrip("/").split("/")[-1]
    assert query["urlpath"] == [f"lab/tree/{clone}/notebooks/{CHAPTER}.ipynb"], query
    assert (ROOT / "notebooks" / f"{CHAPTER}.ipynb").is_file()
