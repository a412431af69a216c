"""`ledger publish`: the pages of the web view as a static site at one pinned basis.

Links are relative (`claims/ID.html`, `../actors/ID.html`), so the directory can be zipped
and handed to an editor, opened from disk, or put on any web server. There is no basis
control and no search: a published site says what the ledger said at one position.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ledger.service import Ledger
from ledger.web import render
from ledger.web.query import DEFAULT_LIMIT, Basis


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def publish(
    lg: Ledger, out: Path, *, as_of: str | None, known_at: str | None, certain: bool
) -> dict[str, Any]:
    """Write every page at one basis into `out`; returns the basis and how many pages."""
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(render.STATIC, out / "static", dirs_exist_ok=True)
    pages = 0
    resolved: dict[str, Any] = {}
    for kind, page in lg.site(as_of=as_of, known_at=known_at, certain=certain):
        resolved = page["basis"]
        basis = Basis(as_of, f"@{resolved['position']}", certain)
        if kind == "list":
            pages += _write_list(out, basis, page)
        elif kind == "claim":
            links = render.Links(basis, depth=1)
            svg = page["picture"].get("value")
            page = {**page, "picture": {**page["picture"], "value": render.inline_svg(svg)}}
            _write(
                out / "claims" / f"{page['claim']['claim_id']}.html",
                render.page("claim.html", links=links, path="", resolved=resolved, **page),
            )
            pages += 1
        elif kind == "actor":
            links = render.Links(basis, depth=1)
            _write(
                out / "actors" / f"{page['actor']['actor_id']}.html",
                render.page("actor.html", links=links, path="", resolved=resolved, **page),
            )
            pages += 1
        else:
            digest = f"{resolved['position']}:{resolved['head_hash']}"
            _write(
                out / "verify.html",
                render.page(
                    "verify.html",
                    links=render.Links(basis, depth=0),
                    path="",
                    resolved=resolved,
                    verify=page["verify"],
                    basis_digest=digest,
                ),
            )
            pages += 1
    return {"basis": resolved, "pages": pages, "directory": str(out)}


def _write_list(out: Path, basis: Basis, page: dict[str, Any]) -> int:
    claims, total = page["claims"], page["total"]
    links = render.Links(basis, depth=0)
    starts = range(0, max(total, 1), DEFAULT_LIMIT)

    def name(offset: int) -> str:
        return "index.html" if offset == 0 else f"index-{offset // DEFAULT_LIMIT + 1}.html"

    for offset in starts:
        shown = claims[offset : offset + DEFAULT_LIMIT]
        paging = {
            "total": total,
            "limit": DEFAULT_LIMIT,
            "offset": offset,
            "first": offset + 1 if shown else 0,
            "last": offset + len(shown),
            "previous": name(offset - DEFAULT_LIMIT) if offset > 0 else None,
            "next": name(offset + DEFAULT_LIMIT) if offset + DEFAULT_LIMIT < total else None,
        }
        _write(
            out / name(offset),
            render.page(
                "list.html",
                links=links,
                path="",
                resolved=page["basis"],
                claims=shown,
                filters={"status": None, "actor": None},
                paging=paging,
                permalink=None,
                api=None,
            ),
        )
    return len(starts)
