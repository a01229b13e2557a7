"""Reader for the idx file format of MNIST and Fashion-MNIST.

An idx file is a 4-byte magic number ``0x00 0x00 <type> <ndim>``, then ``ndim`` big-endian
uint32 dimension sizes, then the data in C order, big-endian. Files may be gzip-compressed
(detected from the gzip magic bytes, not the file name).
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Union

import numpy as np

# idx type byte → big-endian numpy dtype.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parses the bytes of an (uncompressed) idx file.

    Args:
      data: the whole file content.
      name: file name used in error messages.

    Returns:
      An array of the file's shape in native byte order (``uint8`` for image and label files).

    Raises:
      ValueError: bad magic number, unknown type code, or a size that does not match the
        header.
    """
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{name}: not an idx file (magic number {data[:4].hex() or 'missing'})")
    type_code, ndim = data[2], data[3]
    if type_code not in IDX_DTYPES:
        raise ValueError(f"{name}: unknown idx data type 0x{type_code:02x}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{name}: truncated idx header ({len(data)} bytes, {ndim} dimensions)")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[type_code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"{name}: idx header says shape {dims} of {dtype.name} ({expected} bytes) but the file "
            f"has {len(data) - header} data bytes"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: Union[str, Path]) -> np.ndarray:
    """Reads an idx file, gzip-compressed or not.

    Args:
      path: the file.

    Returns:
      The array stored in the file (see :func:`parse_idx`).
    """
    path = Path(path)
    data = path.read_bytes()
    if data[:2] == _GZIP_MAGIC:
        data = gzip.decompress(data)
    return parse_idx(data, name=str(path))
