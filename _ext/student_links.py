"""Sphinx extension: the launch and download buttons serve the student editions.

A chapter's source (``chapters/NAME.ipynb``) is written for the site: its prose holds myst-nb
roles such as ``{glue:text}`key``` that only Jupyter Book fills in. Its student edition
(``notebooks/NAME.ipynb``, made by ``scripts/editions.py``) has the numbers written in, so it
reads properly in JupyterLab, Colab and Binder. On a chapter page this extension:

* points every launch button (Binder, Colab, JupyterHub) at ``notebooks/NAME.ipynb``;
* replaces the copy that the download button serves with the student edition;
* removes the launch buttons of a notebook page that has no student edition (the speed
  appendix, which reads the repository's benchmark file), since no launch could run it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

EDITIONS = "notebooks"


def editions(app) -> dict[str, Path]:
    """Docname (``chapters/NAME``) -> student edition, for every notebook in ``notebooks/``."""
    folder = Path(app.srcdir) / EDITIONS
    return {f"chapters/{path.stem}": path for path in sorted(folder.glob("*.ipynb"))}


def _rewrite(buttons: list, old: str, new: str) -> None:
    for button in buttons:
        if "url" in button:
            button["url"] = button["url"].replace(old, new).replace(old.replace("/", "%2F"),
                                                                     new.replace("/", "%2F"))
        _rewrite(button.get("buttons", []), old, new)


def point_launch_buttons(app, pagename, templatename, context, doctree) -> None:
    buttons = context.get("header_buttons")
    if not buttons or not str(app.env.doc2path(pagename)).endswith(".ipynb"):
        return
    launch = [b for b in buttons if b.get("label") == "launch-buttons"]
    if pagename in editions(app):
        name = pagename.split("/")[-1]
        _rewrite(launch, f"chapters/{name}.ipynb", f"{EDITIONS}/{name}.ipynb")
    else:
        buttons[:] = [b for b in buttons if b not in launch]


def copy_editions(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    sources = Path(app.outdir) / "_sources"
    for docname, path in editions(app).items():
        target = sources / f"{docname}.ipynb"
        if target.parent.is_dir():
            shutil.copyfile(path, target)


def setup(app):
    app.connect("html-page-context", point_launch_buttons, priority=600)
    app.connect("build-finished", copy_editions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
