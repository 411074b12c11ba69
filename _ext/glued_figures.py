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


def _output_of(image: nodes.Node) -> nodes.Node | None:
    """The whole output (all its MIME renderings) that holds ``image``, if it is a cell output."""
    node = image
    while node.parent is not None:
        if isinstance(node.parent, nodes.figure):
            return None
        if "cell_output" in node.parent.get("classes", []):
            return node
        node = node.parent
    return None


def drop_duplicate_outputs(app, doctree: nodes.document) -> None:
    """Remove cell outputs whose image a glued figure on the same page already shows.

    myst-nb keeps every MIME rendering of an output (the PNG and its "<Figure size ...>" text)
    until a later transform picks one, so the whole output goes, not just its image.
    """
    glued = _figure_uris(doctree)
    for image in list(doctree.findall(nodes.image)):
        output = _output_of(image) if image["uri"] in glued else None
        if output is not None and output.parent is not None:
            cell_output = output.parent
            cell_output.remove(output)
            if not cell_output.children:  # the cell printed nothing else
                cell_output.parent.remove(cell_output)


def setup(app):
    app.connect("doctree-read", drop_duplicate_outputs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
