"""The IDX file format, in which Fashion-MNIST (like MNIST) is published.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the values, big-endian. Files may
be gzipped.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np
import torch

_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
"""The IDX type codes, as numpy's big-endian dtypes."""


def read_idx(path: str | Path) -> torch.Tensor:
    """Read one IDX file (gzipped or not, by its ``.gz`` suffix) into a tensor.

    Returns:
        A tensor of the stored type and shape, e.g. ``uint8 [60000, 28, 28]`` for images
        or ``uint8 [60000]`` for labels.

    Raises:
        ValueError: the file is not IDX, or is truncated, padded or a damaged gzip file
            (the message names the file).

    Example:
        >>> from lecnotes.data import find_data_dir
        >>> from lecnotes.fashion import find
        >>> labels = read_idx(find("t10k-labels-idx1-ubyte", find_data_dir()))
        >>> labels.shape, labels.dtype
        (torch.Size([10000]), torch.uint8)
    """
    path = Path(path)
    return parse_idx(path, content(path))


def content(path: Path, gzipped: bool | None = None) -> bytes:
    """A file's bytes, decompressed if ``gzipped`` (by default: if named ``*.gz``)."""
    raw = path.read_bytes()
    if not (path.suffix == ".gz" if gzipped is None else gzipped):
        return raw
    try:  # in one call: a quarter faster than reading through gzip.open
        return gzip.decompress(raw)
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:  # cut short or damaged
        raise ValueError(f"{path}: truncated or damaged gzip file ({err})") from err


def parse_idx(path: Path, raw: bytes) -> torch.Tensor:
    """The tensor an IDX file's content ``raw`` holds; ``path`` names it in errors."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    dtype, ndim = np.dtype(_DTYPES[raw[2]]), raw[3]
    if ndim == 0:
        raise ValueError(f"{path}: not an IDX file of images or labels: "
                         "its header says 0 dimensions")
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(
            f"{path}: truncated IDX file: the header of {ndim} sizes is cut short")
    shape = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    body = raw[4 + 4 * ndim :]
    count = math.prod(shape)
    if len(body) != count * dtype.itemsize:
        raise ValueError(
            f"{path}: truncated or padded IDX file: header says {count} values of "
            f"{dtype.itemsize} byte(s), found {len(body)} bytes"
        )
    values = np.frombuffer(body, dtype).reshape(shape)
    return torch.from_numpy(values.astype(dtype.newbyteorder("=")))  # a native-order copy
