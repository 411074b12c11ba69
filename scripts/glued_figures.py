"""Sphinx extension: a figure glued into the prose is not shown a second time as a cell output.

A chapter's figure cell calls ``lecnotes.glue.glue(name, fig)``. In JupyterLab or Colab the
figure then shows under the cell, as a student expects. On the site, ``{glue:figure} name``
places the same figure, numbered and with its caption and alt text, in the prose; the copy
under the cell would be a duplicate without either.

myst-nb names each output image after the sha256 of its bytes, so the copy under the cell and
the glued figure share one image URI. After a page is read, every cell-output image whose URI
is also the URI of a figure on the same page is removed, and nothing else: a cell's printed
tables and its other images stay.
"""

from __future__ import annotations

from docutils import nodes


def _figure_uris(doctree: nodes.document) -> set[str]:
    return {image["uri"] for figure in doctree.findall(nodes.figure) for image in figure.findall(nodes.image)}


def _in_cell_output(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, nodes.figure):
            return False
        if "cell_output" in parent.get("classes", []):
            return True
        parent = parent.parent
    return False


def drop_duplicate_outputs(app, doctree: nodes.document) -> None:
    """Remove cell-output images that a glued figure on the same page already shows."""
    glued = _figure_uris(doctree)
    for image in list(doctree.findall(nodes.image)):
        if image["uri"] in glued and _in_cell_output(image):
            container = image.parent
            container.remove(image)
            if not container.children:  # the output held only this image
                container.parent.remove(container)


def setup(app):
    app.connect("doctree-read", drop_duplicate_outputs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
