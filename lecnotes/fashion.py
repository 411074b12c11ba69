"""Fashion-MNIST's four IDX files: finding them in a folder, fetching and checking them.

Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017; MIT licence, Zalando SE) has 60,000
training and 10,000 test images of clothing, 28 x 28 grey pixels, in 10 classes
(:data:`CLASSES`).

A folder may hold the files gzipped (``*.gz``) or not, flat or under torchvision's
``FashionMNIST/raw/`` layout (:func:`find`).

:func:`fetch` leaves the download to pooch: each missing file goes to a temporary file
next to its place and is moved into place only once checked; a download that fails its
check is tried again (:data:`RETRIES`), and nothing of a failed one is kept, so the next
call starts afresh. The transfer is the standard library's, so an unreachable server is
a :class:`urllib.error.URLError`. The check is that the gzip stream is whole, that the
announced ``Content-Length`` arrived, and that the *decompressed* content has the
SHA-256 recorded in :data:`SHA256`. The content, not the ``.gz`` bytes: the same data
gzipped by another tool (Debian recompressed the files) gives other ``.gz`` bytes but
the same content, which is why the downloader checks it rather than pooch's hash of the
file.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Mapping
from functools import partial
from pathlib import Path

import torch

from ._checks import env_switch, labels_outside, listed
from .idx import content, parse_idx

CLASSES: tuple[str, ...] = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
"""The ten Fashion-MNIST class names, indexed by label."""

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
"""Per split, the names of its images file and its labels file."""

NAMES = tuple(name for pair in FILES.values() for name in pair)
"""The four file names, in the order they are fetched."""

SHA256: dict[str, str] = {
    "train-images-idx3-ubyte":
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte":
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte":
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte":
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
"""SHA-256 of each file's *decompressed* content."""

BASE_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
"""The official Fashion-MNIST mirror; ``$LECNOTES_DATA_URL`` replaces it."""

DOWNLOAD_MB = 30
"""Approximate size of the four ``.gz`` files together, in MB."""

TIMEOUT = 60
"""Seconds a download waits for the server before giving up."""

RETRIES = 1
"""How many more times a download that arrived cut short or damaged is tried."""

NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError,
                  TimeoutError)
"""What a failed connection raises: no network, refused, name lookup, timeout, HTTP
error status."""

_GET = "`python -m lecnotes.data --download`"


class DownloadError(ValueError):
    """A download arrived cut short or damaged. Nothing of it was kept: run again.

    A subclass of ``ValueError``, like :func:`lecnotes.idx.read_idx`'s errors for
    damaged files on disk.
    """


def find(name: str, folder: Path) -> Path | None:
    """Where ``folder`` holds the file ``name``, or None.

    Looked for gzipped or not, flat or under ``FashionMNIST/raw/``.
    """
    candidates = (sub / file for sub in (folder, folder / "FashionMNIST" / "raw")
                  for file in (name, name + ".gz"))
    return next((path for path in candidates if path.is_file()), None)


def missing(folder: Path) -> list[str]:
    """The names of the four files that ``folder`` lacks, in :data:`NAMES` order."""
    return [name for name in NAMES if find(name, folder) is None]


def download_allowed() -> bool:
    """Whether missing files may be downloaded: ``$LECNOTES_DOWNLOAD``.

    Returns:
        False when ``LECNOTES_DOWNLOAD`` is ``0`` (or ``false``, ``no``, ``off``); True
        when it is unset, empty, ``1``, ``true``, ``yes`` or ``on``.

    Raises:
        ValueError: any other value.

    Example:
        >>> isinstance(download_allowed(), bool)
        True
    """
    return env_switch("LECNOTES_DOWNLOAD", "never download Fashion-MNIST",
                      "download it when it is missing, the default") is not False


def base_url() -> str:
    """Where the files are downloaded from: ``$LECNOTES_DATA_URL`` or :data:`BASE_URL`.

    Returns:
        The address, ending in ``/``; a file's address is this followed by ``NAME.gz``.

    Raises:
        ValueError: ``LECNOTES_DATA_URL`` is not an ``http://`` or ``https://`` address.

    Example:
        >>> base_url().endswith("/")
        True
    """
    url = os.environ.get("LECNOTES_DATA_URL") or BASE_URL
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"LECNOTES_DATA_URL is {url!r}; it must be an http:// or https:// address "
            "of a folder holding the four .gz files "
            f"({', '.join(n + '.gz' for n in NAMES)}). "
            f"Correct it, or unset it to use the official mirror {BASE_URL}."
        )
    return url.rstrip("/") + "/"


def fetch(root: Path, url: str, sums: Mapping[str, str]) -> Path:
    """Download into ``root`` the files it lacks from ``url``, checked against ``sums``.

    One line on stderr says what is downloaded; files already in ``root`` are left
    alone.

    Returns:
        ``root``.

    Raises:
        DownloadError: a file arrived cut short or damaged, at every try (nothing of it
            is kept).
        urllib.error.URLError: the server could not be reached or answered with an
            error.
    """
    todo = missing(root)
    if not todo:
        return root
    print(f"Downloading Fashion-MNIST ({len(todo)} files, about {DOWNLOAD_MB} MB in "
          f"all) from {url} into {root}", file=sys.stderr, flush=True)
    pooch = _pooch()
    store = pooch.create(path=root, base_url=url, retry_if_failed=RETRIES,
                         registry={name + ".gz": None for name in todo})
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # the line above says it all, not one line per file
    try:
        for name in todo:
            store.fetch(name + ".gz", downloader=partial(_download, name, sums[name]))
    finally:
        logger.setLevel(level)
    return root


def _pooch():
    """pooch, imported only to download.

    Importing pooch imports ``tqdm.auto``, which warns "IProgress not found" in every
    Jupyter kernel without ipywidgets (a bare Colab or hub kernel): a student who only
    loads the data must not see that, and one who downloads it needs no progress bar.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        import pooch
    return pooch


def _download(name: str, known: str, url: str, output_file: str, _: object) -> None:
    """Pooch's downloader of ``name.gz``: what it leaves is the whole, known file."""
    _transfer(url, Path(output_file), name)
    _check_content(Path(output_file), name, known, url)


def _transfer(url: str, path: Path, name: str) -> None:
    """Copy ``url`` into ``path``; raise DownloadError if the response is cut short."""
    response = urllib.request.urlopen(url, timeout=TIMEOUT)
    with response, path.open("wb") as out:
        announced = response.headers.get("Content-Length", "").strip()
        try:
            shutil.copyfileobj(response, out, 1 << 20)
        except http.client.IncompleteRead as err:  # a chunked response cut short
            raise DownloadError(
                f"{name}.gz: the server's response ended after "
                f"{out.tell() + len(err.partial)} bytes, before its last chunk: the "
                "download was cut short. Nothing was kept; run again.") from err
        if announced.isdigit() and out.tell() != int(announced):
            raise DownloadError(
                f"{name}.gz: the server announced {announced} bytes (Content-Length) "
                f"but {out.tell()} arrived: the download was cut short. Nothing was "
                "kept; run again.")


def _check_content(path: Path, name: str, known: str, url: str) -> None:
    """Raise DownloadError unless ``path`` is a whole gzip file of the content known."""
    try:
        raw = content(path, gzipped=True)
    except ValueError as err:  # cut short, damaged, CRC mismatch
        raise DownloadError(
            f"{name}.gz: expected a complete, intact gzip file, but what arrived "
            f"({path.stat().st_size} bytes) fails to decompress ({err.__cause__}): the "
            "download was cut short or damaged. Nothing was kept; run again."
        ) from err
    digest = hashlib.sha256(raw).hexdigest()
    if digest != known:
        raise DownloadError(
            f"{name}.gz: expected content with SHA-256 {known}, but what arrived "
            f"decompresses to {len(raw)} bytes with SHA-256 {digest}: the download is "
            f"damaged (or {url} serves other data). Nothing was kept; run again."
        )


def read_split(split: str, folder: Path,
               sums: Mapping[str, str] | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``split``'s images and labels in ``folder``, checked to be Fashion-MNIST's.

    Each file must be uint8 IDX, the images ``[N, 28, 28]``, the labels ``[N]`` in 0..9.
    With ``sums``, a file whose content has another SHA-256 is used all the same (a
    re-encoded copy may be fine), with one warning per file.

    Returns:
        ``(images, labels)``: ``uint8 [N, 28, 28]`` and ``int64 [N]``.
    """
    paths = [find(name, folder) for name in FILES[split]]
    if None in paths:
        raise FileNotFoundError(f"{folder} lacks the IDX files for the {split!r} split")
    images, labels = (_read_checked(path, name, sums)  # type: ignore[arg-type]
                      for path, name in zip(paths, FILES[split], strict=True))
    if images.dim() != 3 or images.shape[1:] != (28, 28) or labels.dim() != 1:
        raise ValueError(
            f"{paths[0]} and {paths[1]} hold shapes {list(images.shape)} and "
            f"{list(labels.shape)}; Fashion-MNIST's are [N, 28, 28] and [N]. They are "
            f"not Fashion-MNIST's files: restore the originals (see {_GET})")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{split}: {images.shape[0]} images but {labels.shape[0]} labels")
    outside = labels_outside(labels, len(CLASSES))
    if outside:
        raise ValueError(
            f"{paths[1]}: Fashion-MNIST's labels are 0..{len(CLASSES) - 1} (its "
            f"{len(CLASSES)} classes), but this file holds labels outside that range: "
            f"{listed(outside)}. It is not Fashion-MNIST's labels file, or it is "
            f"damaged: restore the original (see {_GET}) or point LECNOTES_DATA at the "
            "original files."
        )
    return images, labels.long()


_SUMS_SEEN: dict[tuple[str, int, int], str] = {}
"""Per file (path, size, modification time), its content's SHA-256, once computed."""


def _read_checked(path: Path, name: str,
                  sums: Mapping[str, str] | None) -> torch.Tensor:
    """One file's uint8 values; with ``sums``, a warning if its content is not known."""
    raw = content(path)
    values = parse_idx(path, raw)
    if values.dtype != torch.uint8:
        raise ValueError(
            f"{path} holds {values.dtype} values; Fashion-MNIST's IDX files hold uint8 "
            "(pixel values 0..255 and labels 0..9). It is not Fashion-MNIST's file: "
            f"restore the original (see {_GET})")
    if sums is None:
        return values
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _SUMS_SEEN:
        _SUMS_SEEN[key] = digest = hashlib.sha256(raw).hexdigest()
        if digest != sums[name]:
            warnings.warn(
                f"{path} (under LECNOTES_DATA) has SHA-256 {digest}, not "
                f"Fashion-MNIST's {sums[name]}: its content differs from the official "
                f"{name}. It is used as it is; if this is not meant, restore the "
                "original file.", UserWarning, stacklevel=4)
    return values
