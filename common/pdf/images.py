"""Raster images (society logo, seal 公章) on a reportlab canvas, prepared once per process.

``canvas.drawImage`` decodes the image with Pillow, hashes the pixels and deflates them again for
every document: for a 600 px RGBA seal that is most of an invoice's rendering time.  Here an
image's bytes are prepared once (decoded, bounded to ``MAX_PIXELS`` on the long side, deflated,
alpha channel as a soft mask) and each document gets a copy of the prepared XObject, with the
same name and bytes as ``drawImage`` would produce.
"""

from __future__ import annotations

import copy
import hashlib
import io
import threading
from collections import OrderedDict
from dataclasses import dataclass

from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfdoc

MAX_PIXELS = 800
_CACHE_SIZE = 64
_LOCK = threading.Lock()
_CACHE: OrderedDict[bytes, _Prepared] = OrderedDict()


class ImageError(ValueError):
    """Image bytes that Pillow cannot read."""


@dataclass(frozen=True)
class _Prepared:
    name: str
    template: pdfdoc.PDFImageXObject  # never registered in a document itself: copies are
    smask_name: str | None
    smask_template: pdfdoc.PDFImageXObject | None
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
    elif im.mode not in ("RGB", "RGBA", "L", "CMYK"):
        im = im.convert("RGB")
    if max(im.size) > MAX_PIXELS:
        im.thumbnail((MAX_PIXELS, MAX_PIXELS), Image.LANCZOS)
    digest = hashlib.sha1(data).hexdigest()[:20]
    name = f"img{digest}"
    xobj = pdfdoc.PDFImageXObject(name, ImageReader(im), mask="auto")
    xobj.name = name
    smask = getattr(xobj, "_smask", None)
    smask_name = None
    if smask is not None:
        del xobj._smask
        smask_name = f"{name}a"
        smask.name = smask_name
        xobj.smask = pdfdoc.PDFObjectReference(pdfdoc.xObjectName(smask_name))
    return _Prepared(name, xobj, smask_name, smask, xobj.width, xobj.height)


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


def draw_image(canvas, data: bytes, x: float, y: float, width: float, height: float, *,
               anchor: str = "c") -> tuple[float, float, float, float]:
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
    # _code, _formsinuse).  A copy per document: reportlab marks registered objects.
    doc = canvas._doc
    reg_name = doc.getXObjectName(item.name)
    if reg_name not in doc.idToObject:
        doc.Reference(copy.copy(item.template), reg_name)
        if item.smask_template is not None:
            doc.Reference(copy.copy(item.smask_template), doc.getXObjectName(item.smask_name))
    canvas._currentPageHasImages = 1
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(w, h)
    canvas._code.append(f"/{reg_name} Do")
    canvas.restoreState()
    canvas._formsinuse.append(item.name)
    return x, y, w, h
