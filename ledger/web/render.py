"""HTML for people: Jinja2 templates with autoescape, and the links a page may hold.

Every stored string is hostile input (quotes come from the news). Autoescape covers markup;
`finalize` runs on every value a template prints and makes bidi overrides, zero-width and
control characters visible as `\\u{XXXX}`, so a quote cannot reorder or hide the text around
it. Only http(s) URLs from sources become links.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from ledger.service.vocabulary import STATUSES, describe_interval, parse_instant
from ledger.web.query import Basis, href

HERE = Path(__file__).parent
STATIC = HERE / "static"

_INVISIBLE = {
    0x061C,
    0x200B,
    0x200C,
    0x200D,
    0x200E,
    0x200F,
    0x202A,
    0x202B,
    0x202C,
    0x202D,
    0x202E,
    0x2060,
    0x2066,
    0x2067,
    0x2068,
    0x2069,
    0xFEFF,
}
_HIDING = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
_EXECUTABLE = re.compile(r"<script|<foreignobject|javascript:|\son[a-z]+\s*=", re.IGNORECASE)


def visible(value: str) -> str:
    """Every control, bidi and zero-width character written out as \\u{XXXX}."""
    if value.isprintable() and not any(ord(c) in _INVISIBLE for c in value):
        return value
    return "".join(
        f"\\u{{{ord(c):04X}}}" if ord(c) in _INVISIBLE or unicodedata.category(c) in _HIDING else c
        for c in value
    )


def _finalize(value: Any) -> Any:
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return "" if value is None else value


def when(item: dict[str, Any]) -> str:
    """An item's occurred interval as written (`2023-11`, `2023-11-02/2023-11-20`)."""
    return describe_interval(
        parse_instant(item["occurred_from"]), parse_instant(item["occurred_to"])
    )


def snippet(value: Any) -> Markup:
    """A search snippet with its hits (marked `[`...`]` by search) highlighted, all else text."""
    escaped = str(escape(visible(str(value))))
    return Markup(_HIT.sub(r"<mark>\1</mark>", escaped))


_HIT = re.compile(r"\[([^\[\]<>]+)\]")


def web_url(value: Any) -> str | None:
    """A source URL fit for href: http or https only (never javascript: or data:)."""
    if not isinstance(value, str):
        return None
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:
        return None
    return value if scheme in ("http", "https") else None


@dataclass(frozen=True)
class Links:
    """Where a page's links point: the live server (with the basis) or a published site."""

    basis: Basis
    depth: int | None = None  # None: served; else the page's depth in a published site

    @property
    def published(self) -> bool:
        return self.depth is not None

    def _up(self) -> str:
        return "../" * (self.depth or 0)

    def home(self) -> str:
        if self.published:
            return self._up() + "index.html"
        return href("/", **self.basis.params())

    def claim(self, claim_id: str) -> str:
        if self.published:
            return f"{self._up()}claims/{quote(claim_id)}.html"
        return href(f"/claims/{quote(claim_id)}", **self.basis.params())

    def actor(self, actor_id: str) -> str:
        if self.published:
            return f"{self._up()}actors/{quote(actor_id)}.html"
        return href(f"/actors/{quote(actor_id)}", **self.basis.params())

    def verify(self) -> str:
        return f"{self._up()}verify.html" if self.published else "/verify"

    def static(self, name: str) -> str:
        return f"{self._up()}static/{name}" if self.published else f"/static/{name}"

    def api(self, path: str, **params: Any) -> str | None:
        return None if self.published else href(path, **self.basis.params(), **params)


_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(("html",), default=True),
    finalize=_finalize,
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.do"],
)
_env.filters["when"] = when
_env.filters["web_url"] = web_url
_env.filters["snippet"] = snippet
_env.globals["STATUSES"] = STATUSES


def page(template: str, *, links: Links, **context: Any) -> str:
    """A whole HTML page."""
    return _env.get_template(template).render(links=links, **context)


def inline_svg(svg: str | None) -> Markup | None:
    """The service's timeline picture, fit to inline under a CSP that allows no inline style.

    Refused (None) when it carries anything executable. Its `style="..."` declarations become
    the SVG presentation attributes they stand for and its `<style>` blocks are dropped (their
    line-join default moves onto the root), so the picture draws the same without asking the
    page's policy for 'unsafe-inline'.
    """
    if not svg or "<svg" not in svg:
        return None
    body = svg[svg.index("<svg") :]
    if _EXECUTABLE.search(body):
        return None
    body = _STYLE_BLOCK.sub("", _METADATA.sub("", body))
    body = _STYLE_ATTR.sub(_presentational, body)
    body = body.replace("<svg", '<svg stroke-linejoin="round" stroke-linecap="butt"', 1)
    return Markup(body)


_STYLE_BLOCK = re.compile(r"<style[^>]*>.*?</style>", re.DOTALL | re.IGNORECASE)
_METADATA = re.compile(r"<metadata>.*?</metadata>", re.DOTALL)
_STYLE_ATTR = re.compile(r'\sstyle="([^"]*)"')
_PROPERTY = re.compile(r"[a-z][a-z-]*")


def _presentational(found: re.Match[str]) -> str:
    attributes = []
    for declaration in found.group(1).split(";"):
        name, sep, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if sep and _PROPERTY.fullmatch(name) and '"' not in value:
            attributes.append(f' {name}="{value}"')
    return "".join(attributes)
