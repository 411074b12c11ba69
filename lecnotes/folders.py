"""The per-user cache folder: where lecnotes keeps what it downloads or computes once.

One folder per kind of content under ``$XDG_CACHE_HOME/lecnotes`` (``~/.cache/lecnotes`` when
``XDG_CACHE_HOME`` is unset or empty, the XDG Base Directory default):

* ``fashion-mnist``: the downloaded IDX files (:func:`lecnotes.data.cache_dir`);
* ``activations``: the body's cached activations (:func:`lecnotes.precompute.default_cache_dir`,
  which ``$LECNOTES_CACHE`` overrides);
* ``pets``: Oxford-IIIT Pet, for the full-size appendix (:mod:`lecnotes.pets`).
"""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir(name: str) -> Path:
    """The per-user folder for one kind of cached content (not created here).

    Args:
        name: the sub-folder, e.g. ``"activations"``.

    Returns:
        ``$XDG_CACHE_HOME/lecnotes/<name>``, or ``~/.cache/lecnotes/<name>`` when
        ``XDG_CACHE_HOME`` is unset or empty.

    Example:
        >>> user_cache_dir("pets").parts[-2:]
        ('lecnotes', 'pets')
    """
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lecnotes" / name
