"""QR codes drawn as vector paths on a reportlab canvas.

The symbol is the one the ``qrcode`` package makes (same segments, version, error correction
codewords, mask and format bits; tests compare them module for module), built faster: ``qrcode``
rebuilds the symbol eight times in pure Python to choose the mask and computes Reed-Solomon
codes with polynomial objects (~4 ms for a verification URL).  Here rows are Python ints (bit j =
column j): the data bits are placed once, the eight masks are XORs, the ISO 18004 penalty is
counted with bit operations, and Reed-Solomon uses log/antilog tables (~1 ms).

Per version, what does not depend on the data (function patterns, the cells data goes into and
their order, format/version bits per mask) comes from ``qrcode`` itself and is cached.

Dark modules are drawn as one filled path of horizontal runs, in module units (integers).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache

import qrcode
from qrcode import base, util
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q
from qrcode.exceptions import DataOverflowError
from reportlab.lib import colors

LEVELS = {"L": ERROR_CORRECT_L, "M": ERROR_CORRECT_M, "Q": ERROR_CORRECT_Q, "H": ERROR_CORRECT_H}
FINDER_LIKE = ("10111010000", "00001011101")  # string index k = column j + k
_EXP = base.EXP_TABLE
_LOG = base.LOG_TABLE


# --- per-version structure, taken from qrcode ---------------------------------------------------


class _ProbeQRCode(qrcode.QRCode):
    """Records which cells ``map_data`` fills (the data cells) before filling them."""

    data_cells: list[list[bool]] | None = None

    def map_data(self, data, mask_pattern):
        self.data_cells = [[cell is None for cell in row] for row in self.modules]
        super().map_data(data, mask_pattern)


def _rows_of(modules) -> tuple[int, ...]:
    out = []
    for row in modules:
        bits = 0
        for j, cell in enumerate(row):
            if cell:
                bits |= 1 << j
        out.append(bits)
    return tuple(out)


@lru_cache(maxsize=None)
def _structure(version: int) -> tuple[tuple[int, ...], tuple[int, ...], tuple[tuple[int, int], ...]]:
    """(function-pattern rows in test mode, data-cell rows, data cell order) of a version."""
    probe = _ProbeQRCode(version=version, border=0)
    probe.data_cache = [0] * 4000  # content irrelevant: only the layout is kept
    probe.makeImpl(True, 0)
    n = probe.modules_count
    cells = probe.data_cells
    data_rows = _rows_of(cells)
    # function patterns: everything that is not a data cell (format/version bits are 0 in test mode)
    template = tuple(r & ~d for r, d in zip(_rows_of(probe.modules), data_rows))
    # placement order: the traversal of qrcode's map_data (two-column zigzag from the bottom right)
    order = []
    inc, row = -1, n - 1
    for col in range(n - 1, 0, -2):
        if col <= 6:
            col -= 1
        while True:
            for c in (col, col - 1):
                if cells[row][c]:
                    order.append((row, c))
            row += inc
            if row < 0 or n <= row:
                row -= inc
                inc = -inc
                break
    return template, data_rows, tuple(order)


@lru_cache(maxsize=None)
def _mask_rows(n: int, pattern: int) -> tuple[int, ...]:
    fn = util.mask_func(pattern)
    return tuple(sum(1 << j for j in range(n) if fn(i, j)) for i in range(n))


@lru_cache(maxsize=None)
def _final_template(version: int, level: int, pattern: int) -> tuple[int, ...]:
    """Function patterns with the real format (and version) bits for ``pattern``."""
    qr = qrcode.QRCode(version=version, error_correction=level, border=0)
    qr.data_cache = [0] * 4000
    qr.makeImpl(False, pattern)
    _, data_rows, _ = _structure(version)
    return tuple(r & ~d for r, d in zip(_rows_of(qr.modules), data_rows))


# --- data codewords ------------------------------------------------------------------------------


class _Bits:
    """The subset of qrcode.util.BitBuffer that QRData.write uses, accumulating into an int."""

    def __init__(self):
        self.value = 0
        self.length = 0

    def put(self, num: int, length: int) -> None:
        self.value = (self.value << length) | num
        self.length += length

    def __len__(self) -> int:
        return self.length


@lru_cache(maxsize=None)
def _generator_table(ec_count: int) -> tuple[int, ...]:
    """For each lead byte f, f × g(x) without its leading term, packed big-endian into an int;
    g is the Reed-Solomon generator polynomial prod(x + alpha^i), i < ec_count."""
    poly = [1]
    for i in range(ec_count):
        nxt = poly + [0]
        a = _EXP[i % 255]
        for k, coef in enumerate(poly):
            if coef:
                nxt[k + 1] ^= _EXP[(_LOG[coef] + _LOG[a]) % 255]
        poly = nxt
    logs = [_LOG[c] for c in poly[1:]]
    table = [0]
    for f in range(1, 256):
        lf = _LOG[f]
        table.append(int.from_bytes(bytes(_EXP[(g + lf) % 255] for g in logs), "big"))
    return tuple(table)


def _rs_remainder(data: list[int], ec_count: int) -> list[int]:
    """The error correction codewords: remainder of data(x)·x^ec by g(x), as a shift register
    held in one int."""
    table = _generator_table(ec_count)
    top = 8 * (ec_count - 1)
    mask = (1 << (8 * ec_count)) - 1
    rem = 0
    for byte in data:
        factor = (rem >> top) ^ byte
        rem = ((rem << 8) & mask) ^ table[factor]
    return list(rem.to_bytes(ec_count, "big"))


def _best_version(level: int, data_list) -> int:
    """Same as ``qrcode.QRCode.best_fit``: the smallest version that holds the data."""
    start = 1
    while True:
        mode_sizes = util.mode_sizes_for_version(start)
        bits = _Bits()
        for data in data_list:
            bits.put(data.mode, 4)
            bits.put(len(data), mode_sizes[data.mode])
            data.write(bits)
        version = bisect_left(util.BIT_LIMIT_TABLE[level], bits.length, start)
        if version == 41:
            raise DataOverflowError()
        if mode_sizes is util.mode_sizes_for_version(version):
            return version
        start = version


def _codewords(version: int, level: int, data_list) -> list[int]:
    """Same as ``qrcode.util.create_data``."""
    bits = _Bits()
    for data in data_list:
        bits.put(data.mode, 4)
        bits.put(len(data), util.length_in_bits(data.mode, version))
        data.write(bits)
    blocks = base.rs_blocks(version, level)
    limit = sum(b.data_count * 8 for b in blocks)
    if bits.length > limit:
        raise DataOverflowError(f"Code length overflow. Data size ({bits.length}) > size available ({limit})")
    total = min(bits.length + 4, limit)  # terminator: up to four 0 bits
    total = (total + 7) // 8 * 8  # then 0 bits to a byte boundary
    stream = list((bits.value << (total - bits.length)).to_bytes(total // 8, "big"))
    for i in range(limit // 8 - len(stream)):
        stream.append(util.PAD0 if i % 2 == 0 else util.PAD1)
    dc_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        dc = stream[offset:offset + block.data_count]
        offset += block.data_count
        dc_blocks.append(dc)
        ec_blocks.append(_rs_remainder(dc, block.total_count - block.data_count))
    out = []
    for group in (dc_blocks, ec_blocks):
        for i in range(max(len(b) for b in group)):
            out.extend(b[i] for b in group if i < len(b))
    return out


# --- mask choice ---------------------------------------------------------------------------------


def penalty(rows, n: int) -> int:
    """ISO 18004 penalty score of a symbol given as row ints (bit j = column j); equal to
    ``qrcode.util.lost_point`` of the same matrix."""
    full = (1 << n) - 1
    m1 = full >> 1  # pairs (j, j+1)
    score = 0
    dark = 0
    for a in rows:
        dark += a.bit_count()
        # runs of >= 5 same-coloured cells score L - 2: with s = "cell j equals cell j+1" and w =
        # four s in a row, a run of length L gives L - 4 bits of w, plus 2 per run (its first bit).
        s = ~(a ^ (a >> 1)) & m1
        w = s & (s >> 1) & (s >> 2) & (s >> 3)
        if w:
            score += w.bit_count() + 2 * (w & ~(w << 1)).bit_count()
    eq = [~(a ^ b) & full for a, b in zip(rows, rows[1:])]  # vertical: cell (r, j) equals (r+1, j)
    prev = 0
    for r, e in enumerate(eq):
        a = rows[r]
        score += 3 * (e & (e >> 1) & ~(a ^ (a >> 1)) & m1).bit_count()  # 2x2 blocks of one colour
        if r + 3 < len(eq):
            w = e & eq[r + 1] & eq[r + 2] & eq[r + 3]
            if w:
                score += w.bit_count() + 2 * (w & ~prev).bit_count()
            prev = w
    # 1:1:3:1:1 finder-like patterns next to four light cells, in rows and columns.  As strings
    # (column order reversed, which the pair of mirrored patterns does not mind); neither pattern
    # overlaps itself, so str.count finds them all.
    fmt = f"0{n}b"
    row_strings = [format(a, fmt) for a in rows]
    text = "|".join(row_strings) + "|" + "|".join(map("".join, zip(*row_strings)))
    score += 40 * (text.count(FINDER_LIKE[0]) + text.count(FINDER_LIKE[1]))
    score += int(abs(dark / (n * n) * 100 - 50) / 5) * 10
    return score


# --- the symbol ----------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def qr_rows(payload: str, level: str = "M") -> tuple[int, ...]:
    """The symbol of ``payload`` as row ints (bit j = column j, 1 = dark), no quiet zone."""
    if not payload:
        raise ValueError("empty QR payload")
    ec = LEVELS[level]
    qr = qrcode.QRCode(error_correction=ec, border=0)
    qr.add_data(payload)  # qrcode's segmentation into numeric / alphanumeric / byte chunks
    version = _best_version(ec, qr.data_list)
    data = _codewords(version, ec, qr.data_list)
    template, data_cells, order = _structure(version)
    n = len(template)
    # place the data bits (unmasked); cells past the data stay light, as in qrcode
    placed = [0] * n
    nbits = len(data) * 8
    for idx, (r, c) in enumerate(order):
        if idx >= nbits:
            break
        if (data[idx >> 3] >> (7 - (idx & 7))) & 1:
            placed[r] |= 1 << c
    scores = []
    for k in range(8):
        masks = _mask_rows(n, k)
        rows = [t | (p ^ (d & m)) for t, p, d, m in zip(template, placed, data_cells, masks)]
        scores.append(penalty(rows, n))
    best = scores.index(min(scores))  # the first minimum, as qrcode chooses
    masks = _mask_rows(n, best)
    final = _final_template(version, ec, best)
    return tuple(t | (p ^ (d & m)) for t, p, d, m in zip(final, placed, data_cells, masks))


def qr_matrix(payload: str, level: str = "M") -> tuple[tuple[bool, ...], ...]:
    """The module matrix (no quiet zone); True = dark."""
    rows = qr_rows(payload, level)
    n = len(rows)
    return tuple(tuple(bool(r >> j & 1) for j in range(n)) for r in rows)


_DARK_RUNS = re.compile("1+")


def draw_qr(canvas, payload: str, x: float, y: float, size: float, *, level: str = "M",
            color=colors.black, quiet_zone: int = 0, background=None) -> int:
    """Draw the QR code of ``payload`` with its lower-left corner at (x, y), ``size`` points square
    including ``quiet_zone`` modules of margin.  Returns the module count."""
    rows = qr_rows(payload, level)
    n = len(rows)
    module = size / (n + 2 * quiet_zone)
    if background is not None:
        canvas.setFillColor(background)
        canvas.rect(x, y, size, size, stroke=0, fill=1)
    # Module units: translate to the symbol's top-left corner and scale by one module, y down.
    # The runs are then small integers, written as one path without float formatting.
    ops = []
    fmt = f"0{n}b"
    for r, bits in enumerate(rows):
        line = format(bits, fmt)[::-1]  # column 0 first
        ops.extend(f"{m.start()} {r} {m.end() - m.start()} 1 re" for m in _DARK_RUNS.finditer(line))
    canvas.saveState()
    canvas.setFillColor(color)
    canvas.translate(x + quiet_zone * module, y + size - quiet_zone * module)
    canvas.scale(module, -module)
    canvas.addLiteral("\n".join(ops) + "\nf")
    canvas.restoreState()
    return n
