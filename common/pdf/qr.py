"""QR codes drawn as vector paths on a reportlab canvas.

The symbol is the one the ``qrcode`` package makes (same segments, version, error correction
codewords, mask and format bits; tests compare them module for module), built ~5x faster.
``qrcode`` rebuilds the symbol eight times in pure Python to choose the mask and computes
Reed-Solomon codes with polynomial objects (~4 ms for a verification URL).  Here:

* Reed-Solomon: a shift register held in one int, with a table per generator polynomial;
* the whole symbol is one int, a *bitboard*: cell (r, c) is bit ``r * S + c`` with ``S = n + 3``
  (three zero bits after each row stop runs from wrapping into the next row);
* the data bits are placed with one ``itemgetter`` call, each of the eight masks is two
  operations, and the ISO 18004 penalty of a mask is ~70 operations on the whole board.

What does not depend on the data (function patterns, which cells hold data and in what order,
mask patterns, format/version bits per mask) is taken from ``qrcode`` once per version and cached.
Dark modules are drawn as one filled path of horizontal runs, in module units (integers).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache, lru_cache
from operator import itemgetter

import qrcode
from qrcode import base, util
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q
from qrcode.exceptions import DataOverflowError
from reportlab.lib import colors

LEVELS = {"L": ERROR_CORRECT_L, "M": ERROR_CORRECT_M, "Q": ERROR_CORRECT_Q, "H": ERROR_CORRECT_H}
FINDER_LIKE = ("10111010000", "00001011101")  # 1:1:3:1:1 with four light cells on one side
GAP = 3
_EXP = base.EXP_TABLE
_LOG = base.LOG_TABLE


# --- per-version structure, taken from qrcode ---------------------------------------------------


class _ProbeQRCode(qrcode.QRCode):
    """Records which cells ``map_data`` fills (the data cells) before filling them."""

    data_cells: list[list[bool]] | None = None

    def map_data(self, data, mask_pattern):
        self.data_cells = [[cell is None for cell in row] for row in self.modules]
        super().map_data(data, mask_pattern)


def _board(cells, n: int, stride: int) -> int:
    """Bitboard of an n×n grid of truthy cells."""
    value = 0
    for r, row in enumerate(cells):
        bits = 0
        for c in range(n):
            if row[c]:
                bits |= 1 << c
        value |= bits << (r * stride)
    return value


def _region(n: int, stride: int, rows: range, cols: range) -> int:
    row_bits = sum(1 << c for c in cols)
    return sum(row_bits << (r * stride) for r in rows)


@dataclass(frozen=True)
class _Version:
    n: int
    stride: int
    template: int  # function patterns, format/version bits light (as qrcode scores masks)
    data: int  # cells that hold data
    masks: tuple[int, ...]  # mask pattern k, all cells
    place: itemgetter  # data-bit string (+ "0") -> board bits, most significant first
    data_cell_count: int
    pairs: int  # (r, c) with c <= n-2: horizontal neighbours
    vpairs: int  # r <= n-2: vertical neighbours
    blocks: int  # r, c <= n-2: 2x2 blocks
    h11: int  # c <= n-11: horizontal 11-cell windows
    v11: int  # r <= n-11: vertical 11-cell windows


@cache
def _version(version: int) -> _Version:
    probe = _ProbeQRCode(version=version, border=0)
    probe.data_cache = [0] * 4000  # content irrelevant: only the layout is kept
    probe.makeImpl(True, 0)
    n = probe.modules_count
    s = n + GAP
    cells = probe.data_cells
    data = _board(cells, n, s)
    template = _board(probe.modules, n, s) & ~data
    # placement order: the traversal of qrcode's map_data (two-column zigzag from the bottom right)
    order = []
    inc, row = -1, n - 1
    for col in range(n - 1, 0, -2):
        if col <= 6:
            col -= 1
        while True:
            for c in (col, col - 1):
                if cells[row][c]:
                    order.append(row * s + c)
            row += inc
            if row < 0 or n <= row:
                row -= inc
                inc = -inc
                break
    zero = len(order)  # index of the "0" appended to the data bits
    index = {bit: i for i, bit in enumerate(order)}
    place = itemgetter(*[index.get(bit, zero) for bit in range(n * s - 1, -1, -1)])
    masks = tuple(
        _board([[fn(i, j) for j in range(n)] for i in range(n)], n, s) for fn in (util.mask_func(k) for k in range(8))
    )
    full = range(n)
    return _Version(
        n=n,
        stride=s,
        template=template,
        data=data,
        masks=masks,
        place=place,
        data_cell_count=len(order),
        pairs=_region(n, s, full, range(n - 1)),
        vpairs=_region(n, s, range(n - 1), full),
        blocks=_region(n, s, range(n - 1), range(n - 1)),
        h11=_region(n, s, full, range(n - 10)),
        v11=_region(n, s, range(n - 10), full),
    )


@cache
def _final_template(version: int, level: int, pattern: int) -> int:
    """Function patterns with the real format (and version) bits for ``pattern``."""
    v = _version(version)
    qr = qrcode.QRCode(version=version, error_correction=level, border=0)
    qr.data_cache = [0] * 4000
    qr.makeImpl(False, pattern)
    return _board(qr.modules, v.n, v.stride) & ~v.data


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


@cache
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
        rem = ((rem << 8) & mask) ^ table[(rem >> top) ^ byte]
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
        dc = stream[offset : offset + block.data_count]
        offset += block.data_count
        dc_blocks.append(dc)
        ec_blocks.append(_rs_remainder(dc, block.total_count - block.data_count))
    out = []
    for group in (dc_blocks, ec_blocks):
        for i in range(max(len(b) for b in group)):
            out.extend(b[i] for b in group if i < len(b))
    return out


# --- mask choice ---------------------------------------------------------------------------------


def _runs(equal: int, step: int) -> int:
    """Penalty of runs of >= 5 same-coloured cells, L - 2 points per run of length L.

    ``equal`` has a bit per cell that equals its neighbour ``step`` bits further: a run of length L
    is L - 1 such bits in a row; four in a row (w) leave L - 4 bits, plus 2 per run for its first.
    """
    w = equal & (equal >> step) & (equal >> 2 * step) & (equal >> 3 * step)
    return w.bit_count() + 2 * (w & ~(w << step)).bit_count()


def _finder_like(board: int, inverse: int, step: int, starts: int) -> int:
    found = 0
    for pattern in FINDER_LIKE:
        match = starts
        for k, ch in enumerate(pattern):
            match &= (board if ch == "1" else inverse) >> (k * step)
            if not match:
                break
        found += match.bit_count()
    return found


def penalty(board: int, v: _Version) -> int:
    """ISO 18004 penalty score of a symbol; equal to ``qrcode.util.lost_point`` of the matrix."""
    s = v.stride
    inverse = ~board
    h_equal = ~(board ^ (board >> 1))  # cell equals its right neighbour
    v_equal = ~(board ^ (board >> s)) & v.vpairs  # cell equals the cell below
    score = _runs(h_equal & v.pairs, 1) + _runs(v_equal, s)
    score += 3 * (v_equal & (v_equal >> 1) & h_equal & v.blocks).bit_count()
    score += 40 * (_finder_like(board, inverse, 1, v.h11) + _finder_like(board, inverse, s, v.v11))
    score += int(abs(board.bit_count() / (v.n * v.n) * 100 - 50) / 5) * 10
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
    v = _version(version)
    # the data bits in placement order; cells past the data stay light, as in qrcode
    nbits = len(data) * 8
    bits = format(int.from_bytes(bytes(data), "big"), f"0{nbits}b")
    cells = v.data_cell_count
    bits = (bits[:cells] if nbits >= cells else bits + "0" * (cells - nbits)) + "0"
    placed = int("".join(v.place(bits)), 2)
    scores = [penalty(v.template | (placed ^ (v.data & mask)), v) for mask in v.masks]
    best = scores.index(min(scores))  # the first minimum, as qrcode chooses
    board = _final_template(version, ec, best) | (placed ^ (v.data & v.masks[best]))
    row_mask = (1 << v.n) - 1
    return tuple((board >> (r * v.stride)) & row_mask for r in range(v.n))


def qr_matrix(payload: str, level: str = "M") -> tuple[tuple[bool, ...], ...]:
    """The module matrix (no quiet zone); True = dark."""
    rows = qr_rows(payload, level)
    n = len(rows)
    return tuple(tuple(bool(r >> j & 1) for j in range(n)) for r in rows)


_DARK_RUNS = re.compile("1+")


@lru_cache(maxsize=64)
def _run_ops(n: int) -> tuple[list[str], list[str]]:
    """Path operator pieces for symbols of n modules: "c r " for each position of the row text
    (rows of n characters plus a separator), and "l 1 re" for each run length."""
    width = n + 1
    return [f"{p % width} {p // width} " for p in range(n * width)], [f"{k} 1 re" for k in range(n + 1)]


def draw_qr(
    canvas,
    payload: str,
    x: float,
    y: float,
    size: float,
    *,
    level: str = "M",
    color=colors.black,
    quiet_zone: int = 0,
    background=None,
) -> int:
    """Draw the QR code of ``payload`` with its lower-left corner at (x, y), ``size`` points square
    including ``quiet_zone`` modules of margin.  Returns the module count."""
    rows = qr_rows(payload, level)
    n = len(rows)
    module = size / (n + 2 * quiet_zone)
    if background is not None:
        canvas.setFillColor(background)
        canvas.rect(x, y, size, size, stroke=0, fill=1)
    # Module units: the matrix moves to the symbol's top-left corner and scales by one module, y
    # down.  The runs are then small integers, written as one path without float formatting.
    text = "|".join(format(bits, f"0{n}b")[::-1] for bits in rows)  # column 0 first, n + 1 chars a row
    starts, lengths = _run_ops(n)
    ops = [starts[s] + lengths[e - s] for s, e in map(re.Match.span, _DARK_RUNS.finditer(text))]
    ox, oy = x + quiet_zone * module, y + size - quiet_zone * module
    r, g, b = color.red, color.green, color.blue
    canvas.addLiteral(
        f"q {r:.4g} {g:.4g} {b:.4g} rg {module:.5f} 0 0 {-module:.5f} {ox:.3f} {oy:.3f} cm\n" + "\n".join(ops) + "\nf Q"
    )
    return n
