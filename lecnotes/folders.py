"""The per-user cache folder: where lecnotes keeps what it downloads or computes once.

One folder per kind of content under platformdirs' user cache folder for ``lecnotes``:
``$XDG_CACHE_HOME/lecnotes`` when ``XDG_CACHE_HOME`` is set (on Linux and macOS), else
the platform's own, ``~/.cache/lecnotes`` on Linux:

* ``fashion-mnist``: the downloaded IDX files (:func:`lecnotes.data.cache_dir`);
* ``activations``: the body's cached activations
  (:func:`lecnotes.precompute.default_cache_dir`, which ``$LECNOTES_CACHE`` overrides);
* ``sweeps``: finished sweeps (:mod:`lecnotes.memo`, which ``$LECNOTES_SWEEP_CACHE``
  overrides);
* ``pets``: Oxford-IIIT Pet, for the full-size appendix (:mod:`lecnotes.pets`).
"""

from __future__ import annotations

from pathlib import Path

import platformdirs


def user_cache_dir(name: str) -> Path:
    """The per-user folder for one kind of cached content (not created here).

    Args:
        name: the sub-folder, e.g. ``"activations"``.

    Returns:
        ``<user cache folder>/lecnotes/<name>``, e.g. ``~/.cache/lecnotes/<name>``, or
        ``$XDG_CACHE_HOME/lecnotes/<name>`` when ``XDG_CACHE_HOME`` is an absolute
        path.

    Example:
        >>> user_cache_dir("pets").parts[-2:]
        ('lecnotes', 'pets')
    """
    return platformdirs.user_cache_path("lecnotes", appauthor=False, opinion=False) / name
