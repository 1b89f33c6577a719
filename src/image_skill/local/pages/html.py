"""The page shell shared by every HTML page, and small markup helpers."""

from __future__ import annotations

from html import escape

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "color:#222}main{border:1px solid #ccc;border-radius:8px;padding:1.5rem}"
    ".narrow{max-width:36rem;margin:0 auto}"
    ".note{background:#fff6d6;padding:.6rem;border-radius:6px}button{font-size:1rem;"
    "padding:.6rem 1.2rem}code{word-break:break-all}dl{display:grid;"
    "grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{font-weight:600}dd{margin:0}"
    ".jobs{list-style:none;padding:0}.job{border-top:1px solid #ddd;padding:.8rem 0}"
    ".assets{display:flex;flex-wrap:wrap;gap:1rem;margin-top:.5rem}"
    ".asset{border:1px solid #ddd;border-radius:6px;padding:.5rem;max-width:18rem}"
    ".asset img{max-width:100%;height:auto;display:block}.meta{color:#555;font-size:.9rem}"
    "pre{white-space:pre-wrap;background:#f4f4f4;padding:.5rem;border-radius:4px}"
    ".bar{display:flex;justify-content:space-between;align-items:center;gap:1rem;"
    "flex-wrap:wrap}.status-failed{color:#a00}nav a{margin-right:1rem}"
)

SIMULATED_NOTE = "Offline local backend: this checkout is simulated and no money moves."
LOCAL_NOTE = "Offline local backend: media and credits here are local and simulated."


def document(title: str, body: str, *, note: str = LOCAL_NOTE, narrow: bool = True) -> str:
    """A complete HTML document; ``title`` is escaped here, ``body`` is markup already."""
    width = " class=narrow" if narrow else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width'>"
        "<meta name=referrer content=no-referrer>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main{width}><h1>{escape(title)}</h1>{body}"
        f"<p class=note>{escape(note)}</p></main></body></html>"
    )


def code(value: object) -> str:
    return f"<code>{escape(str(value))}</code>"


def command_block(command: str) -> str:
    """A shell command on its own block, wrapped only at spaces (copyable as one line)."""
    return f"<pre>{escape(command)}</pre>"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def para(text: str) -> str:
    """A paragraph of plain text (escaped)."""
    return f"<p>{escape(text)}</p>"


def definitions(items: list[tuple[str, str]]) -> str:
    """``<dl>`` of (plain label, markup value) pairs."""
    rows = "".join(f"<dt>{escape(label)}</dt><dd>{value}</dd>" for label, value in items)
    return f"<dl>{rows}</dl>"


def dollars(cents: int, currency: str = "USD") -> str:
    return f"${cents // 100}.{cents % 100:02d} {currency}"


def size(content_length: int) -> str:
    if content_length < 1024:
        return f"{content_length} B"
    if content_length < 1024 * 1024:
        return f"{content_length / 1024:.1f} KiB"
    return f"{content_length / (1024 * 1024):.1f} MiB"


def post_button(action: str, label: str, *, name: str = "") -> str:
    """A form that posts to ``action`` (a same-site path) with one submit button."""
    ident = f" id={escape(name)}" if name else ""
    return (
        f"<form method=post action='{escape(action)}'>"
        f"<button type=submit{ident}>{escape(label)}</button></form>"
    )
