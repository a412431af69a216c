"""The web view: a read-only ASGI app; every route parses, asks the ledger once, renders.

Pages are HTML for people; each has a JSON twin under /api that returns what the CLI's
`--format json` prints for the same question. Lists are JSON arrays, as on the CLI; how many
there are in all (before `limit`/`offset`) travels in the `X-Total-Count` header, with the
page's `X-Offset` and `X-Limit`.

One `Ledger` is shared by every request: its engine's connection pool is thread-safe and the
store opens a connection per question. A page that shows several answers asks the service for
all of them at once, and the service resolves the position first and answers each at `@P`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ledger.service import InvalidInput, Ledger, LedgerError, NotFoundError
from ledger.web import render
from ledger.web.pages import PAGES
from ledger.web.query import Basis, basis_of, paging_of, status_of, text_of

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class ReadOnly:
    """Any method but GET and HEAD is 405; every answer carries the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        if scope["method"] not in ("GET", "HEAD"):
            refused = _json(
                {"error": f"{scope['method']} is not allowed: this view is read-only (GET, HEAD)"},
                405,
            )
            refused.headers["allow"] = "GET, HEAD"
            await refused(scope, receive, send_secured)
            return
        await self.app(scope, receive, send_secured)


def _json(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(value), status_code=status, media_type="application/json", headers=headers
    )


def _status_for(exc: LedgerError) -> int:
    return 404 if isinstance(exc, NotFoundError) else 400


def _ledger(request: Request) -> Ledger:
    return request.app.state.ledger  # type: ignore[no-any-return]


def api(
    ask: Callable[[Ledger, Request], tuple[Any, dict[str, str] | None]],
) -> Callable[..., Response]:
    """A JSON route: the answer, or `{"error": "..."}` with 404 / 400 for a user mistake."""

    def endpoint(request: Request) -> Response:
        try:
            value, headers = ask(_ledger(request), request)
        except LedgerError as exc:
            return _json({"error": str(exc)}, _status_for(exc))
        return _json(value, headers=headers)

    return endpoint


def html(name: str) -> Callable[..., Response]:
    """A page route: the rendered page, or an error page with the CLI's message."""
    build = PAGES[name]

    def endpoint(request: Request) -> Response:
        query = request.query_params
        try:
            basis = basis_of(query)
        except LedgerError as exc:
            basis = Basis()
            return _error_page(exc, basis, request)
        links = render.Links(basis)
        try:
            template, context = build(_ledger(request), request, basis)
        except LedgerError as exc:
            return _error_page(exc, basis, request)
        return HTMLResponse(render.page(template, links=links, path=request.url.path, **context))

    return endpoint


def _error_page(exc: LedgerError, basis: Basis, request: Request) -> Response:
    status = _status_for(exc)
    body = render.page(
        "error.html",
        links=render.Links(basis),
        path=request.url.path,
        status=status,
        message=str(exc),
        resolved=None,
    )
    return HTMLResponse(body, status_code=status)


# -- the JSON twins -----------------------------------------------------------------------


def _paged(total: int | None, limit: int, offset: int) -> dict[str, str]:
    headers = {"X-Offset": str(offset), "X-Limit": str(limit)}
    if total is not None:
        headers["X-Total-Count"] = str(total)
    return headers


def _claims(lg: Ledger, request: Request) -> tuple[Any, dict[str, str] | None]:
    query = request.query_params
    limit, offset = paging_of(query)
    answers = lg.list(
        **basis_of(query).kwargs(),
        status=status_of(query),
        actor=text_of(query, "actor"),
        limit=limit,
        offset=offset,
    )
    return list(answers), _paged(answers.total, limit, offset)


def _claim(lg: Ledger, request: Request) -> tuple[Any, None]:
    return lg.show(request.path_params["id"], **basis_of(request.query_params).kwargs()), None


def _why(lg: Ledger, request: Request) -> tuple[Any, None]:
    return lg.why(request.path_params["id"], **basis_of(request.query_params).kwargs()), None


def _timeline(lg: Ledger, request: Request) -> tuple[Any, None]:
    known_at = basis_of(request.query_params).known_at
    return lg.timeline(request.path_params["id"], known_at=known_at), None


def _history(lg: Ledger, request: Request) -> tuple[Any, None]:
    return lg.history(request.path_params["id"]), None


def _actor(lg: Ledger, request: Request) -> tuple[Any, None]:
    return lg.actor(request.path_params["id"], **basis_of(request.query_params).kwargs()), None


def _diff(lg: Ledger, request: Request) -> tuple[Any, None]:
    query = request.query_params
    start, end = text_of(query, "from"), text_of(query, "to")
    if start is None or end is None:
        raise InvalidInput("a diff needs both bases: ?from=BASIS&to=BASIS (e.g. from=@5&to=head)")
    return dict(lg.diff(from_=start, to=end)), None


def _search(lg: Ledger, request: Request) -> tuple[Any, dict[str, str] | None]:
    query = request.query_params
    limit, offset = paging_of(query)
    found = lg.search_page(
        text_of(query, "q") or "",
        **basis_of(query).kwargs(),
        limit=limit,
        offset=offset,
    )
    if "unavailable" in found:
        raise InvalidInput(f"search is {found['unavailable']}")
    headers = _paged(found["total"], limit, offset)
    if found.get("more_than") is not None:
        headers["X-Total-Count-More-Than"] = str(found["more_than"])
    return found["hits"], headers


def _verify(lg: Ledger, request: Request) -> tuple[Any, None]:
    return lg.verify(), None


def _routes() -> list[Route | Mount]:
    get = ["GET"]
    return [
        Route("/", html("list"), methods=get),
        Route("/claims/{id}", html("claim"), methods=get),
        Route("/actors/{id}", html("actor"), methods=get),
        Route("/diff", html("diff"), methods=get),
        Route("/search", html("search"), methods=get),
        Route("/verify", html("verify"), methods=get),
        Route("/api/claims", api(_claims), methods=get),
        Route("/api/claims/{id}", api(_claim), methods=get),
        Route("/api/claims/{id}/why", api(_why), methods=get),
        Route("/api/claims/{id}/timeline", api(_timeline), methods=get),
        Route("/api/claims/{id}/history", api(_history), methods=get),
        Route("/api/actors/{id}", api(_actor), methods=get),
        Route("/api/diff", api(_diff), methods=get),
        Route("/api/search", api(_search), methods=get),
        Route("/api/verify", api(_verify), methods=get),
        Mount("/static", StaticFiles(directory=render.STATIC), name="static"),
    ]


def create_app(db: str | None = None, *, ledger: Ledger | None = None) -> ASGIApp:
    """The app serving the ledger at `db` (opened once, never created), or an open `ledger`."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        import ledger.service as service

        owned = ledger is None
        app.state.ledger = service.open(db, create=False) if owned else ledger
        try:
            yield
        finally:
            if owned:
                app.state.ledger.close()

    app = Starlette(routes=_routes(), lifespan=lifespan)
    if ledger is not None:
        app.state.ledger = ledger
    app.add_exception_handler(404, _not_found)
    return ReadOnly(app)


async def _not_found(request: Request, exc: Exception) -> Response:
    message = f"no page at {request.url.path}; the claims are listed at /"
    if request.url.path.startswith("/api/"):
        return _json({"error": message}, 404)
    return HTMLResponse(
        render.page(
            "error.html",
            links=render.Links(Basis()),
            path=request.url.path,
            status=404,
            message=message,
            resolved=None,
        ),
        status_code=404,
    )
