"""Downloads: one header for every file the service sends."""

from __future__ import annotations

from urllib.parse import quote


def attachment(filename: str) -> dict[str, str]:
    """A download's Content-Disposition, its name readable in any language
    (RFC 6266: an ASCII fallback, and the UTF-8 name; a Chinese round id as a
    plain header would not even encode)."""
    fallback = "".join(ch if ch.isascii() and ch not in '"\\\\' else "_" for ch in filename)
    return {
        "Content-Disposition": f'attachment; filename="{fallback}"; '
        f"filename*=UTF-8''{quote(filename, safe='')}"
    }
