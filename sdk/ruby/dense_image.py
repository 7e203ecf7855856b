"""Merges the data segments of a snapshot so that wasmtime can map its memory image.

wasmtime turns a module's data segments into one memory image, which each instance maps
copy-on-write (microseconds), only when the range they span is less than twice the bytes they
hold (or under 16 MiB); otherwise every instantiation copies the segments one by one. A Ruby
snapshot holds ~27 MB of data spread over ~61 MB: each instantiation copied it, ~10 ms. Filling
the smallest gaps between segments with their zeros until the data covers more than half the
range makes the image mappable, for a few MB more .wasm.

    python3 dense_image.py in.wasm out.wasm
"""

import sys

from legacy_abi import _leb, _uleb

# Data over range: wasmtime needs more than 1/2 (every zero added is a byte of .wasm).
TARGET = 0.505


def _sleb32(b, i):
    result = shift = 0
    while True:
        x = b[i]
        i += 1
        result |= (x & 0x7F) << shift
        shift += 7
        if x < 0x80:
            if x & 0x40:
                result -= 1 << shift
            return result & 0xFFFFFFFF, i


def _sleb_encode(n):
    if n >= 1 << 31:
        n -= 1 << 32
    out = bytearray()
    while True:
        x = n & 0x7F
        n >>= 7
        if (n == 0 and not x & 0x40) or (n == -1 and x & 0x40):
            out.append(x)
            return bytes(out)
        out.append(x | 0x80)


def _segments(body):
    """[(flags, offset or None, bytes)] of a data section."""
    count, k = _leb(body, 0)
    out = []
    for _ in range(count):
        flags, k = _leb(body, k)
        offset = None
        if flags == 2:
            memory, k = _leb(body, k)
            if memory != 0:
                return None
        if flags in (0, 2):
            if body[k] != 0x41:  # i32.const
                return None
            offset, k = _sleb32(body, k + 1)
            if body[k] != 0x0B:
                return None
            k += 1
        elif flags != 1:
            return None
        n, k = _leb(body, k)
        out.append((flags, offset, body[k : k + n]))
        k += n
    return out


def _encode(segments):
    out = bytearray(_uleb(len(segments)))
    for flags, offset, data in segments:
        if flags == 1:
            out += _uleb(1)
        else:
            out += _uleb(0) + b"\x41" + _sleb_encode(offset) + b"\x0b"
        out += _uleb(len(data)) + data
    return bytes(out)


def densify(segments):
    """The segments with gaps between active ones filled, smallest first, until the data covers
    TARGET of their range. Indices are kept (passive segments may be named by memory.init): a
    segment merged into the one before it becomes an empty passive segment."""
    active = sorted((offset, i) for i, (flags, offset, _) in enumerate(segments) if flags != 1)
    if len(active) < 2:
        return segments
    ends = [(offset + len(segments[i][2]), i) for offset, i in active]
    lo, hi = active[0][0], max(e for e, _ in ends)
    data = sum(len(segments[i][2]) for _, i in active)
    need = TARGET * (hi - lo) - data
    if need <= 0:
        return segments
    # Gaps between neighbours (overlaps count as 0), smallest first.
    gaps = sorted(
        (max(0, active[n + 1][0] - (active[n][0] + len(segments[active[n][1]][2]))), n) for n in range(len(active) - 1)
    )
    merge = set()
    for size, n in gaps:
        if need <= 0:
            break
        merge.add(n)
        need -= size
    out = list(segments)
    n = 0
    while n < len(active):
        start, first = active[n]
        image = bytearray(segments[first][2])
        while n in merge:
            n += 1
            offset, i = active[n]
            end = start + len(image)
            if offset > end:
                image += bytes(offset - end)
            data = segments[i][2]
            image[offset - start : offset - start + len(data)] = data
            out[i] = (1, None, b"")
        out[first] = (segments[first][0], start, bytes(image))
        n += 1
    return out


def rewrite(wasm):
    """The module with its data section densified; as it is when there is nothing to do or a
    segment this does not understand."""
    out = bytearray(wasm[:8])
    i = 8
    while i < len(wasm):
        section = wasm[i]
        size, j = _leb(wasm, i + 1)
        end = j + size
        body = wasm[j:end]
        if section == 11:
            segments = _segments(body)
            if segments is not None:
                body = _encode(densify(segments))
        out += bytes([section]) + _uleb(len(body)) + body
        i = end
    return bytes(out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: dense_image.py in.wasm out.wasm")
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    with open(sys.argv[2], "wb") as f:
        f.write(rewrite(data))
