"""`ledger serve` and `ledger publish`: the read-only web view, live or as a static site."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.cli import output
from ledger.cli.errors import scrub
from ledger.cli.options import AsOfOpt, CertainOpt, DbOpt, KnownAtOpt


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `ledger` application."""
    app.command("serve")(serve)
    app.command("publish")(publish)


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; 0.0.0.0 opens it to the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8765,
    db: DbOpt = None,
) -> None:
    """Serve a read-only view of the ledger to browsers and scripts (pages and JSON).

    Every page takes its basis in the query string (?as_of=2023-11-10&known_at=@16&certain=1)
    and links to itself pinned to @P. Stop it with Ctrl-C.

    Example: ledger serve --db ledger.db --port 8765
    """
    import uvicorn

    import ledger.service as service
    from ledger.web.app import create_app

    lg = service.open(db, create=False)
    try:
        shown = f"[{host}]" if ":" in host else host
        output.info(f"serving {scrub(lg.url)} read-only on http://{shown}:{port}/ (Ctrl-C to stop)")
        uvicorn.run(
            create_app(ledger=lg),
            host=host,
            port=port,
            log_level="warning",
            server_header=False,
            lifespan="on",
        )
    finally:
        lg.close()


def publish(
    directory: Annotated[Path, typer.Argument(help="Where to write the site (created).")],
    as_of: AsOfOpt = None,
    known_at: KnownAtOpt = None,
    certain: CertainOpt = False,
    db: DbOpt = None,
) -> None:
    """Write the web view's pages as a static site at one pinned basis, with relative links.

    Example: ledger publish site/ --as-of 2023-11-30 && open site/index.html
    """
    import ledger.service as service
    from ledger.web.publish import publish as write_site

    with service.open(db, create=False) as lg:
        done = write_site(lg, directory, as_of=as_of, known_at=known_at, certain=certain)
    output.info(
        f"published {done['pages']} pages to {done['directory']} at position "
        f"{done['basis']['position']} (head hash {done['basis']['head_hash'][:16]}...)"
    )
