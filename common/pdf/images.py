"""Raster images (society logo, seal 公章) on a reportlab canvas, prepared once per process.

``canvas.drawImage`` decodes the image with Pillow, hashes the pixels and deflates them again for
every document: for a 600 px RGBA seal that is most of an invoice's rendering time.  Here an
image's bytes are prepared once (decoded, bounded to ``MAX_PIXELS`` on the long side, deflated,
alpha channel as a soft mask, formatted as PDF objects once: see common.pdf.objects) and each
document references them under the same name and with the same bytes as ``drawImage`` writes.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from dataclasses import dataclass

from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfdoc

from common.pdf.objects import Formatted, Hole, Preformatted, preformat

MAX_PIXELS = 800
_CACHE_SIZE = 64
_LOCK = threading.Lock()
_CACHE: OrderedDict[bytes, _Prepared] = OrderedDict()


class ImageError(ValueError):
    """Image bytes that Pillow cannot read."""


@dataclass(frozen=True)
class _Prepared:
    name: str
    image: Formatted  # the image XObject; hole: its soft mask's reference
    smask_name: str | None
    smask: Formatted | None  # the alpha channel as a soft mask image
    width: int
    height: int


def _prepare(data: bytes) -> _Prepared:
    try:
        im = Image.open(io.BytesIO(data))
        im.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ImageError(f"cannot read image ({len(data)} bytes): {exc}") from exc
    if im.mode in ("P", "LA", "PA") or (im.mode == "RGB" and "transparency" in im.info):
        im = im.convert("RGBA")
    elif im.mode not in ("RGB", "RGBA", "L"):
        im = im.convert("RGB")  # CMYK (Adobe JPEGs store it inverted), 16-bit, palettes without alpha
    if max(im.size) > MAX_PIXELS:
        im.thumbnail((MAX_PIXELS, MAX_PIXELS), Image.LANCZOS)
    digest = hashlib.sha1(data).hexdigest()[:20]
    name = f"img{digest}"
    xobj = pdfdoc.PDFImageXObject(name, ImageReader(im), mask="auto")
    smask = getattr(xobj, "_smask", None)
    smask_name = None
    if smask is not None:
        del xobj._smask
        smask_name = f"{name}a"
        xobj.smask = Hole(0)
    return _Prepared(
        name, preformat(xobj), smask_name, preformat(smask) if smask is not None else None, xobj.width, xobj.height
    )


def prepared(data: bytes) -> _Prepared:
    with _LOCK:
        item = _CACHE.get(data)
        if item is not None:
            _CACHE.move_to_end(data)
            return item
    item = _prepare(data)
    with _LOCK:
        _CACHE[data] = item
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return item


def image_size(data: bytes) -> tuple[int, int]:
    item = prepared(data)
    return item.width, item.height


def draw_image(
    canvas, data: bytes, x: float, y: float, width: float, height: float, *, anchor: str = "c"
) -> tuple[float, float, float, float]:
    """Draw image ``data`` fitted (aspect ratio kept) into the box (x, y, width, height).

    ``anchor`` places it in the box: c, n, s, e, w, ne, nw, se, sw.  Returns the drawn box.
    """
    item = prepared(data)
    scale = min(width / item.width, height / item.height)
    w, h = item.width * scale, item.height * scale
    dx, dy = (width - w) / 2, (height - h) / 2
    if anchor.endswith("w"):
        dx = 0.0
    elif anchor.endswith("e"):
        dx = width - w
    if anchor.startswith("n"):
        dy = height - h
    elif anchor.startswith("s"):
        dy = 0.0
    x, y = x + dx, y + dy

    # What canvas.drawImage does, with the prepared XObject (reportlab 5.x internals: _doc,
    # _code, _formsinuse).
    doc = canvas._doc
    reg_name = doc.getXObjectName(item.name)
    if reg_name not in doc.idToObject:
        if item.smask is None:
            doc.Reference(Preformatted(item.image), reg_name)
        else:
            smask_reg = doc.getXObjectName(item.smask_name)
            doc.Reference(Preformatted(item.image, (pdfdoc.PDFObjectReference(smask_reg),)), reg_name)
            doc.Reference(Preformatted(item.smask), smask_reg)
    canvas._currentPageHasImages = 1
    canvas._code.append(f"q {w:.3f} 0 0 {h:.3f} {x:.3f} {y:.3f} cm /{reg_name} Do Q")
    canvas._formsinuse.append(item.name)
    return x, y, w, h
