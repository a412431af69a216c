"""What each page asks the ledger (one call) and hands to its template."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from ledger.service import Ledger
from ledger.web.query import DEFAULT_LIMIT, Basis, href, paging_of, status_of, text_of
from ledger.web.render import inline_svg

Page = tuple[str, dict[str, Any]]
Build = Callable[[Ledger, Request, Basis], Page]


def permalink(path: str, basis: Basis, position: int, **params: Any) -> str:
    """This page's URL with ledger time pinned to @P: the same answer, whatever is appended."""
    return href(path, **basis.pinned(position).params(), **params)


def paging(
    total: int, limit: int, offset: int, shown: int, link: Callable[[int], str]
) -> dict[str, Any]:
    """Where this page sits in the list, and the links to the pages before and after it."""
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "first": offset + 1 if shown else 0,
        "last": offset + shown,
        "previous": link(max(offset - limit, 0)) if offset > 0 else None,
        "next": link(offset + limit) if offset + limit < total else None,
    }


def claim_list(lg: Ledger, request: Request, basis: Basis) -> Page:
    query = request.query_params
    limit, offset = paging_of(query)
    status, actor = status_of(query), text_of(query, "actor")
    answers = lg.list(**basis.kwargs(), status=status, actor=actor, limit=limit, offset=offset)
    resolved = answers.basis.to_json()
    total = answers.total if answers.total is not None else len(answers)
    return "list.html", {
        "resolved": resolved,
        "claims": list(answers),
        "filters": {"status": status, "actor": actor},
        "paging": paging(
            total,
            limit,
            offset,
            len(answers),
            lambda at: href(
                "/",
                **basis.params(),
                status=status,
                actor=actor,
                offset=at or None,
                limit=limit if limit != DEFAULT_LIMIT else None,
            ),
        ),
        "permalink": permalink(
            "/", basis, resolved["position"], status=status, actor=actor, offset=offset or None
        ),
        "api": href("/api/claims", **basis.params(), status=status, actor=actor),
    }


def claim_page(lg: Ledger, request: Request, basis: Basis) -> Page:
    claim_id = request.path_params["id"]
    found = lg.claim_page(claim_id, **basis.kwargs())
    position = found["basis"]["position"]
    picture = found["picture"]
    return "claim.html", {
        **found,
        "picture": {**picture, "value": inline_svg(picture.get("value"))},
        "resolved": found["basis"],
        "permalink": permalink(request.url.path, basis, position),
        "api": {
            name: href(f"/api/claims/{claim_id}{suffix}", **basis.params())
            for name, suffix in (
                ("claim", ""),
                ("why", "/why"),
                ("timeline", "/timeline"),
                ("history", "/history"),
            )
        },
    }


def actor_page(lg: Ledger, request: Request, basis: Basis) -> Page:
    actor_id = request.path_params["id"]
    found = lg.actor_page(actor_id, **basis.kwargs())
    return "actor.html", {
        **found,
        "resolved": found["basis"],
        "permalink": permalink(request.url.path, basis, found["basis"]["position"]),
        "api": href(f"/api/actors/{actor_id}", **basis.params()),
    }


def diff_page(lg: Ledger, request: Request, basis: Basis) -> Page:
    query = request.query_params
    start, end = text_of(query, "from"), text_of(query, "to")
    context: dict[str, Any] = {"start": start, "end": end, "diff": None, "resolved": None}
    if start is None or end is None:
        return "diff.html", context
    answer = lg.diff(from_=start, to=end)
    pinned = [_pinned_spec(answer[key]) for key in ("from_basis", "to_basis")]
    return "diff.html", {
        **context,
        "diff": answer,
        "resolved": answer["to_basis"],
        "permalink": href("/diff", **{"from": pinned[0], "to": pinned[1]}),
        "api": href("/api/diff", **{"from": start, "to": end}),
    }


def _pinned_spec(resolved: dict[str, Any]) -> str:
    """A diff basis re-written with known-at pinned to its resolved position."""
    parts = [f"as-of={resolved['as_of']}"] if resolved["as_of"] else []
    parts.append(f"known-at=@{resolved['position']}")
    if resolved["certain"]:
        parts.append("certain")
    return ",".join(parts)


def search_page(lg: Ledger, request: Request, basis: Basis) -> Page:
    query = request.query_params
    limit, offset = paging_of(query)
    text = text_of(query, "q") or ""
    found = lg.search_page(text, **basis.kwargs(), limit=limit, offset=offset)
    return "search.html", {
        **found,
        "q": text,
        "resolved": found["basis"],
        "more_than": found.get("more_than"),
        "paging": paging(
            found["total"] if found["total"] is not None else found["more_than"] + 1,
            limit,
            offset,
            len(found["hits"]),
            lambda at: href(
                "/search",
                **basis.params(),
                q=text,
                offset=at or None,
                limit=limit if limit != DEFAULT_LIMIT else None,
            ),
        ),
        "permalink": permalink("/search", basis, found["basis"]["position"], q=text or None),
        "api": href("/api/search", **basis.params(), q=text or None),
    }


def verify_page(lg: Ledger, request: Request, basis: Basis) -> Page:
    report = lg.verify()
    return "verify.html", {"verify": report, "resolved": None, "api": "/api/verify"}


PAGES: dict[str, Build] = {
    "list": claim_list,
    "claim": claim_page,
    "actor": actor_page,
    "diff": diff_page,
    "search": search_page,
    "verify": verify_page,
}
