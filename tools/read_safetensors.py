#!/usr/bin/env python3
"""Reads a safetensors file with the standard library and numpy only, and lists its tensors.

    python3 tools/read_safetensors.py run/model.safetensors
    python3 tools/read_safetensors.py --expect expected.txt sample.safetensors

Prints one line per tensor, in the order of their data: "name DTYPE [d0,d1] sum", where sum
adds the elements as float64 in order and prints the total with %.17g ("nan" for any NaN).
smup::safetensors::listing() prints the same text, so a file smup wrote can be checked to read
back identically here (--expect). The file is checked as smup checks it: the header, the
layout of the data, and the "crc32" metadata when present. Needs numpy (Debian:
apt-get install python3-numpy); deliberately not the safetensors package, so that this is an
independent reading of the format.

Exit status: 0 when the file is good (and matches --expect), 1 otherwise, with the reason on
stderr.
"""

import argparse
import difflib
import json
import math
import struct
import sys
import zlib

try:
    import numpy as np
except ImportError:
    sys.exit("read_safetensors.py: numpy is missing. Install it (Debian: apt-get install "
             "python3-numpy; elsewhere: pip install numpy).")

# BF16 has no numpy dtype: it is read as uint16 and widened to float32 by hand.
DTYPES = {
    "BOOL": np.dtype("?"), "U8": np.dtype("u1"), "I8": np.dtype("i1"),
    "U16": np.dtype("<u2"), "I16": np.dtype("<i2"), "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"), "U32": np.dtype("<u4"), "I32": np.dtype("<i4"),
    "F32": np.dtype("<f4"), "U64": np.dtype("<u8"), "I64": np.dtype("<i8"),
    "F64": np.dtype("<f8"),
}
MAX_HEADER = 100_000_000


class BadFile(Exception):
    pass


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise BadFile("a key appears twice in a header object")
    return dict(pairs)


def is_index(v):
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**63


def read(path):
    """(metadata, [(name, dtype, shape, array)] in data order) of a checked file."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise BadFile(f"the file is {len(blob)} bytes long, too short for the header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > MAX_HEADER or n > len(blob) - 8:
        raise BadFile(f"the header length {n} exceeds the file or the 100 MB limit")
    text = blob[8:8 + n]
    if not text.startswith(b"{") or not text.rstrip(b" ").endswith(b"}"):
        raise BadFile("the header must be a JSON object padded with spaces only")
    try:
        header = json.loads(text.decode("utf-8"), object_pairs_hook=no_duplicates)
    except (UnicodeDecodeError, ValueError) as e:
        raise BadFile(f"invalid JSON header: {e}") from None
    data = memoryview(blob)[8 + n:]

    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise BadFile("__metadata__ must be an object of strings")
    tensors = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise BadFile(f"tensor '{name}' must have exactly dtype, shape and data_offsets")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in DTYPES:
            raise BadFile(f"tensor '{name}' has the unknown dtype {dtype!r}")
        if not isinstance(shape, list) or not all(is_index(d) for d in shape):
            raise BadFile(f"tensor '{name}' has a bad shape {shape!r}")
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(is_index(o) for o in offsets)):
            raise BadFile(f"tensor '{name}' has bad data_offsets {offsets!r}")
        begin, end = offsets
        if end < begin or end - begin != math.prod(shape) * DTYPES[dtype].itemsize:
            raise BadFile(f"tensor '{name}': data_offsets {offsets} do not fit {dtype} {shape}")
        tensors.append((name, dtype, shape, begin, end))

    # Python's sort is stable and json keeps the header's order: ties sort as smup sorts them.
    tensors.sort(key=lambda t: (t[3], t[4]))
    cursor = 0
    for name, _, _, begin, end in tensors:
        if begin != cursor:
            raise BadFile(f"tensor '{name}' starts at {begin}, not {cursor}: a hole or overlap")
        cursor = end
    if cursor != len(data):
        raise BadFile(f"the tensors cover {cursor} bytes of data, the file holds {len(data)}")

    if "crc32" in metadata:
        actual = zlib.crc32(data) & 0xFFFFFFFF
        if metadata["crc32"].lower() != f"{actual:08x}":
            raise BadFile(f"data checksum mismatch: the file is corrupted (the header records "
                          f"crc32 {metadata['crc32']}, the data has {actual:08x})")

    out = []
    for name, dtype, shape, begin, end in tensors:
        raw = np.frombuffer(data[begin:end], dtype=DTYPES[dtype])
        if dtype == "BOOL" and np.frombuffer(data[begin:end], dtype="u1").max(initial=0) > 1:
            raise BadFile(f"tensor '{name}' is BOOL but holds bytes other than 0 and 1")
        if dtype == "BF16":
            raw = (raw.astype("<u4") << 16).view("<f4")
        out.append((name, dtype, shape, raw.reshape(shape)))
    return metadata, out


def total(array):
    """The float64 sum with the additions in element order, as smup's listing adds them
    (numpy's sum adds pairwise, which differs in the last bits)."""
    # Starting from 0.0 as smup does also makes a sum of -0.0 print as 0.
    values = np.concatenate(([0.0], array.astype(np.float64).ravel()))
    return float(np.add.accumulate(values)[-1])


def listing(tensors):
    lines = []
    for name, dtype, shape, array in tensors:
        s = total(array)
        text = "nan" if math.isnan(s) else "%.17g" % s
        lines.append(f"{name} {dtype} [{','.join(str(d) for d in shape)}] {text}\n")
    return "".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="a .safetensors file")
    parser.add_argument("--expect", metavar="LISTING",
                        help="a file holding the expected listing (smup::safetensors::listing)")
    args = parser.parse_args()
    try:
        _, tensors = read(args.file)
    except (OSError, BadFile) as e:
        sys.exit(f"read_safetensors.py: '{args.file}': {e}")
    text = listing(tensors)
    sys.stdout.buffer.write(text.encode("utf-8"))
    if args.expect:
        with open(args.expect, encoding="utf-8", newline="") as f:
            expected = f.read()
        if text != expected:
            diff = difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                        args.expect, "read by numpy")
            sys.stderr.write("".join(diff))
            sys.exit(f"read_safetensors.py: '{args.file}' reads differently in numpy than "
                     f"smup's listing in '{args.expect}' (diff above)")
        print(f"read_safetensors.py: {len(tensors)} tensors match '{args.expect}'",
              file=sys.stderr)


if __name__ == "__main__":
    main()
