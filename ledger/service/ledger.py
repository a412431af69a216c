"""`Ledger`: one open ledger, and one method per question or command.

The CLI, the web view and scripts all call these methods; each returns the plain JSON-ready
value that `--format json` prints, so every front end agrees by construction. Keyword
arguments are named after the CLI's options (`as_of`, `known_at`, `certain`, `tz`, ...).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from ledger.store.port import EventStore

Progress = Callable[[int, int | None], None]
Zone = ZoneInfo | str | None


class Answers(builtins.list):  # type: ignore[type-arg]
    """A list of answers that also carries the basis it was asked at (for titles)."""

    basis: Any = None
    total: int | None = None  # how many there are in all, before limit/offset (web paging)
    archives: Any = None  # digest -> facts of the archived copies the answers name


class Answer(dict):  # type: ignore[type-arg]
    """A JSON object that also carries what a renderer needs beyond it (e.g. `added`)."""

    added: bool = True
    bases: Any = None
    warnings: tuple[str, ...] = ()  # what a stored event will not do that it seems to
    corrections: Any = None  # `show(corrections=True)`: event id -> corrected fields, old values
    sentence: str | None = None  # `why`: the one line a table leads with
    archives: Any = None  # digest -> facts (type, size) of the archived copies it names


class Ledger:
    """An open ledger: the store (and engine, when SQL) and the questions asked of it."""

    def __init__(
        self,
        store: EventStore,
        engine: Any = None,
        url: str = "memory",
        snapshots: Any = None,
        *,
        tz: Zone = None,
    ) -> None:
        self.store = store
        self.engine = engine
        self.url = url
        self.snapshots = snapshots  # the persisted projection (SQL ledgers); None: fold the log
        self.tz = tz

    # -- life cycle ---------------------------------------------------------------------

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _zone(self, tz: Zone) -> ZoneInfo | None:
        from ledger.domain.time import load_zone

        chosen = self.tz if tz is None else tz
        if chosen is None or isinstance(chosen, ZoneInfo):
            return chosen
        return load_zone(chosen)

    def _basis(self, as_of: str | None, known_at: str | None, certain: bool, tz: Zone) -> Any:
        from ledger.service.questions import resolve_basis

        return resolve_basis(
            self.store, as_of=as_of, known_at=known_at, certain=certain, tz=self._zone(tz)
        )

    # -- writing ------------------------------------------------------------------------

    def import_ndjson(
        self,
        source: IO[bytes] | str | Path | bytes,
        *,
        tz: Zone = None,
        keep_recorded_at: bool = False,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """Validate and append every line in one transaction, a chunk at a time (bounded
        memory, all or nothing); idempotent by event_id."""
        from ledger.service.log import load_ndjson

        return load_ndjson(
            self, source, tz=self._zone(tz), keep_recorded_at=keep_recorded_at,
            dry_run=dry_run, progress=progress,
        )

    def append(
        self,
        source: IO[bytes] | str | Path | bytes,
        *,
        tz: Zone = None,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """Append NDJSON events as given, all or nothing (recorded now)."""
        return self.import_ndjson(source, tz=tz, dry_run=dry_run, progress=progress)

    def import_gdelt(
        self,
        source: IO[bytes] | str | Path,
        *,
        kind: str = "gdelt",
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """Import a GDELT 2.0 events (`gdelt`) or mentions (`gdelt-mentions`) export."""
        from ledger.service.gdelt import import_gdelt_file

        return import_gdelt_file(self, source, kind=kind, dry_run=dry_run, progress=progress)

    def record(
        self,
        type: str,
        claim_id: str | None = None,
        *,
        data: dict[str, Any],
        occurred_at: str | None = None,
        expect_version: int | None = None,
        recorded_by: str | None = None,
        actor_id: str | None = None,
        new_claim: bool = False,
        tz: Zone = None,
        source_archive: str | Path | bytes | IO[bytes] | None = None,
    ) -> Answer:
        """Append one event (a CLI single-event command); returns its stored envelope.

        `.added` on the answer is False when the same event was already stored.
        `source_archive`: a copy of the source, stored with the event and named by its
        `source.archive`.
        """
        from ledger.service.log import record_event

        return record_event(
            self, type, claim_id, data=data, occurred_at=occurred_at,
            expect_version=expect_version, recorded_by=recorded_by, actor_id=actor_id,
            new_claim=new_claim, tz=self._zone(tz), source_archive=source_archive,
        )

    def seed(self) -> list[dict[str, Any]]:
        """Load the bundled seed events (idempotent); one report per seed file."""
        from ledger.service.log import load_seeds

        return load_seeds(self)

    def export(
        self,
        out: IO[bytes],
        *,
        claim: str | None = None,
        after: int = 0,
        progress: Progress | None = None,
        with_evidence: bool = False,
    ) -> int:
        """Write every event's full envelope as NDJSON in position order; returns the count.

        `with_evidence`: each archived copy goes before the first event naming it.
        """
        from ledger.service.log import export_events

        tick = None if progress is None else (lambda n: progress(n, None))
        return export_events(
            self, out, after=after, claim_id=claim, progress=tick, with_evidence=with_evidence
        )

    def replay(self, *, progress: Progress | None = None) -> dict[str, Any]:
        """Rebuild the projection tables from the log; the result is identical."""
        from ledger.service.integrity import replay
        from ledger.service.search import rebuild_search

        done = replay(self, progress=progress)
        rebuild_search(self)  # the search index is derived from the log too
        return done

    # -- questions ----------------------------------------------------------------------

    def basis(
        self,
        *,
        as_of: str | None = None,
        known_at: str | None = None,
        certain: bool = False,
        tz: Zone = None,
    ) -> dict[str, Any]:
        """The basis as resolved now (position and head hash), for permalinks."""
        return self._basis(as_of, known_at, certain, tz).to_json()  # type: ignore[no-any-return]

    def show(
        self,
        claim: str,
        *,
        as_of: str | None = None,
        known_at: str | None = None,
        certain: bool = False,
        tz: Zone = None,
        corrections: bool = False,
    ) -> dict[str, Any]:
        """One claim at a basis: the object of `claim show -f json`.

        `corrections`: also `.corrections` on the answer, the old value of each corrected
        field by event id (what a table marks; one more read of the claim's events).
        """
        from ledger.service.questions import corrections_at, show_claim

        from ledger.service.evidence import with_archive_facts

        zone = self._zone(tz)
        basis = self._basis(as_of, known_at, certain, zone)
        answer = with_archive_facts(
            self, show_claim(self.store, claim, basis, zone, self.snapshots)
        )
        if corrections:
            if not isinstance(answer, Answer):
                answer = Answer(answer)
            answer.corrections = corrections_at(self.store, claim, basis)
        return answer  # type: ignore[no-any-return]

    def list(
        self,
        *,
        as_of: str | None = None,
        known_at: str | None = None,
        certain: bool = False,
        status: str | None = None,
        actor: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        tz: Zone = None,
    ) -> Answers:
        """Every claim at a basis, in claim-id order (`claim list -f json`)."""
        from ledger.service.claim_lists import list_page

        return self._list(list_page, as_of, known_at, certain, status, actor, limit, offset, tz)

    def list_json(
        self,
        *,
        as_of: str | None = None,
        known_at: str | None = None,
        certain: bool = False,
        status: str | None = None,
        actor: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        tz: Zone = None,
    ) -> Answers:
        """`list`, each answer as its compact JSON text, bytes (`claim list -f jsonl`)."""
        from ledger.service.claim_lists import list_page_json

        return self._list(
            list_page_json, as_of, known_at, certain, status, actor, limit, offset, tz
        )

    def list_rows(
        self,
        *,
        as_of: str | None = None,
        known_at: str | None = None,
        certain: bool = False,
        status: str | None = None,
        actor: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        tz: Zone = None,
    ) -> Answers:
        """`list`, each answer as what a csv or table row shows of it (`claim_lists.row_of`)."""
        from ledger.service.claim_lists import list_page_rows

        return self._list(
            list_page_rows, as_of, known_at, certain, status, actor, limit, offset, tz
        )

    def _list(
        self, page_of: Callable[..., Any], as_of: str | None, known_at: str | None,
        certain: bool, status: str | None, actor: str | None, limit: int | None, offset: int,
        tz: Zone,
    ) -> Answers:
        zone = self._zone(tz)
        basis = self._basis(as_of, known_at, certain, zone)
        page, total = page_of(
            self.store, basis, status_filter=status, actor=actor, tz=zone,
            snapshots=self.snapshots, limit=limit, offset=offset,
        )
        answers = Answers(page)
        answers.basis = basis
        answers.total = total
        return answers

    def history(self, claim: str, *, tz: Zone = None) -> builtins.list[dict[str, Any]]:
        """Every event of a claim with both times and what each erratum changed."""
        from ledger.service.evidence import with_archive_facts
        from ledger.service.questions import claim_history

        return with_archive_facts(self, claim_history(self.store, claim, tz=self._zone(tz)))

    def log(
        self,
        *,
        claim: str | None = None,
        type: str | None = None,
        after: int = 0,
        limit: int | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """The global log in position order, as full envelopes."""
        from ledger.service.questions import read_log

        return read_log(self.store, claim=claim, type=type, after=after, limit=limit)

    def diff(self, *, from_: str = "head", to: str = "head", tz: Zone = None) -> Answer:
        """What changed between two bases, claim by claim (`diff -f json`)."""
        from ledger.service.questions import diff_bases

        return diff_bases(self.store, from_, to, tz=self._zone(tz), snapshots=self.snapshots)

    def why(
        self,
        claim: str,
        *,
        as_of: str | None = None,
        known_at: str | None = None,
        certain: bool = False,
        tz: Zone = None,
    ) -> dict[str, Any]:
        """Why the claim has its status at the basis: the deciding rule and events."""
        from ledger.service.explain import why

        return why(self, claim, as_of=as_of, known_at=known_at, certain=certain, tz=self._zone(tz))

    def timeline(
        self, claim: str, *, known_at: str | None = None, tz: Zone = None
    ) -> dict[str, Any]:
        """The claim's status over world time and over ledger time."""
        from ledger.service.explain import timeline

        return timeline(self, claim, known_at=known_at, tz=self._zone(tz))

    def timeline_picture(
        self, claim: str, *, known_at: str | None = None, tz: Zone = None, fmt: str = "svg"
    ) -> bytes:
        """The timeline drawn (world time across, ledger time down) as SVG or PNG bytes."""
        from ledger.service.explain import timeline_picture

        return timeline_picture(self, claim, known_at=known_at, tz=self._zone(tz), fmt=fmt)

    def search(
        self,
        text: str,
        *,
        as_of: str | None = None,
        known_at: str | None = None,
        certain: bool = False,
        claim: str | None = None,
        type: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        tz: Zone = None,
    ) -> builtins.list[dict[str, Any]]:
        """Full-text search over what the ledger held at the basis, best first."""
        from ledger.service.search import search

        return search(
            self, text, as_of=as_of, known_at=known_at, certain=certain, claim=claim,
            type=type, limit=limit, offset=offset, tz=self._zone(tz),
        )

    def actor(
        self, actor_id: str, *, as_of: str | None = None, known_at: str | None = None,
        certain: bool = False, tz: Zone = None,
    ) -> dict[str, Any]:
        """An actor, its names at the basis, and every claim where it appears, by role."""
        from ledger.service.actors import show_actor

        return show_actor(
            self, actor_id, as_of=as_of, known_at=known_at, certain=certain, tz=self._zone(tz)
        )

    def actors(
        self, *, as_of: str | None = None, known_at: str | None = None, tz: Zone = None
    ) -> builtins.list[dict[str, Any]]:
        """Every registered actor at the basis."""
        from ledger.service.actors import list_actors

        return list_actors(self, as_of=as_of, known_at=known_at, tz=self._zone(tz))

    def actor_add(
        self, actor_id: str, *, name: str, aliases: Iterable[str] = (), kind: str | None = None,
        wikidata: str | None = None, affiliation: str | None = None, note: str | None = None,
        recorded_by: str | None = None,
    ) -> Answer:
        """Register an actor (`ActorRegistered`); its stored envelope."""
        from ledger.service.actors import add_actor

        return add_actor(
            self, actor_id, name=name, aliases=aliases, kind=kind, wikidata=wikidata,
            affiliation=affiliation, note=note, recorded_by=recorded_by,
        )

    def actor_alias(
        self, actor_id: str, alias: str, *, note: str | None = None,
        recorded_by: str | None = None,
    ) -> Answer:
        """Give an actor another name from now on (`ActorAliased`)."""
        from ledger.service.actors import alias_actor

        return alias_actor(self, actor_id, alias, note=note, recorded_by=recorded_by)

    def actor_unalias(
        self, actor_id: str, alias: str, *, reason: str, recorded_by: str | None = None
    ) -> Answer:
        """Take a name away from an actor from now on (`ActorUnaliased`)."""
        from ledger.service.actors import unalias_actor

        return unalias_actor(self, actor_id, alias, reason=reason, recorded_by=recorded_by)

    # -- pages and exports (the web view, publish, export --as) ---------------------------

    def claim_page(
        self, claim: str, *, as_of: str | None = None, known_at: str | None = None,
        certain: bool = False, tz: Zone = None,
    ) -> dict[str, Any]:
        """A claim page: the claim, why, its timeline and history, all at one resolved P."""
        from ledger.service.pages import claim_page

        return claim_page(
            self, claim, as_of=as_of, known_at=known_at, certain=certain, tz=self._zone(tz)
        )

    def search_page(
        self, text: str, *, as_of: str | None = None, known_at: str | None = None,
        certain: bool = False, limit: int = 100, offset: int = 0, tz: Zone = None,
    ) -> dict[str, Any]:
        """One page of search hits at one resolved P, with how many there are in all."""
        from ledger.service.pages import search_page

        return search_page(
            self, text, as_of=as_of, known_at=known_at, certain=certain, limit=limit,
            offset=offset, tz=self._zone(tz),
        )

    def actor_page(
        self, actor_id: str, *, as_of: str | None = None, known_at: str | None = None,
        certain: bool = False, tz: Zone = None,
    ) -> dict[str, Any]:
        """An actor page: the actor and its claims, at one resolved P."""
        from ledger.service.pages import actor_page

        return actor_page(
            self, actor_id, as_of=as_of, known_at=known_at, certain=certain, tz=self._zone(tz)
        )

    def site(
        self, *, as_of: str | None = None, known_at: str | None = None, certain: bool = False,
        tz: Zone = None,
    ) -> Any:
        """Every page of a static site at one pinned basis, as (kind, page) pairs."""
        from ledger.service.pages import site

        return site(self, as_of=as_of, known_at=known_at, certain=certain, tz=self._zone(tz))

    def export_as(
        self, kind: str, *, as_of: str | None = None, known_at: str | None = None,
        certain: bool = False, tz: Zone = None,
    ) -> Any:
        """The claims for another tool: `timelinejs` (TimelineJS3) or `claimreview` (JSON-LD)."""
        from ledger.service.exports import export_as

        return export_as(
            self, kind, as_of=as_of, known_at=known_at, certain=certain, tz=self._zone(tz)
        )

    # -- evidence: archived copies of sources ------------------------------------------

    def evidence_add(
        self, source: str | Path | bytes | IO[bytes], *, media_type: str | None = None
    ) -> dict[str, Any]:
        """Store a copy (idempotent by digest): sha256, media_type, size, stored (new or not)."""
        from ledger.service.evidence import add_evidence

        return add_evidence(self, source, media_type=media_type)

    def evidence_get(self, sha256: str, out: IO[bytes]) -> dict[str, Any]:
        """Write a stored copy's bytes to `out`; its sha256, media_type, size, stored_at."""
        from ledger.service.evidence import get_evidence

        return get_evidence(self, sha256, out)

    def evidence_list(self) -> builtins.list[dict[str, Any]]:
        """Every stored copy (sha256, media_type, size, stored_at), in digest order."""
        from ledger.service.evidence import list_evidence

        return list_evidence(self)

    # -- integrity ----------------------------------------------------------------------

    def verify(
        self, *, digest: str | None = None, progress: Progress | None = None
    ) -> dict[str, Any]:
        """Recompute the chain and check the invariants; `ok` false names the first break."""
        from ledger.service.integrity import verify

        return verify(self, digest=digest, progress=progress)

    def info(self) -> dict[str, Any]:
        """Where the ledger is (password hidden), its schema revision, head and size."""
        from ledger.service.integrity import describe_ledger

        return describe_ledger(self)
