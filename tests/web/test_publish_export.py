"""`ledger publish` (a static site at one pinned basis) and `ledger export --as ...`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

import ledger.service as service
from ledger.cli.app import app as cli
from ledger.service.exports import timeline_dates
from ledger.service.vocabulary import parse_instant
from ledger.web.render import inline_svg, snippet, visible
from tests.web.conftest import HOSTILE, RESOLVED, A

runner = CliRunner()


def run(*args: str) -> Any:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_publish_writes_every_claim_at_one_pinned_basis_with_relative_links(
    seeded: str, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    run("publish", str(site), "--as-of", "2023-11-10", "--db", seeded)
    with service.open(seeded, create=False) as lg:
        expected = {a["claim_id"]: a["status"] for a in lg.list(as_of="2023-11-10")}
        position = lg.basis()["position"]
        lg.record("ClaimDenied", A, occurred_at="2023-11-05", data={"denier": "Someone else"})
    index = (site / "index.html").read_text()
    assert f'<dd data-basis="position">{position}</dd>' in index
    shown = dict(
        re.findall(r'<tr data-claim="([^"]+)">.*?data-status="([a-z]+)"', index, re.DOTALL)
    )
    assert shown == expected
    for page in [site / "index.html", *site.glob("claims/*.html"), *site.glob("actors/*.html")]:
        html = page.read_text()
        for link in re.findall(r'(?:href|src)="([^"]+)"', html):
            if link.startswith(("https://", "#")):
                continue
            assert not link.startswith("/"), (page, link)
            target = (page.parent / unquote(link.split("#")[0])).resolve()
            if "/claims/" in link and not target.exists():
                continue  # a link to a claim with no visible event at this basis
            assert target.exists(), (page, link)
    assert sorted(p.stem for p in site.glob("claims/*.html")) == sorted(expected)
    claim = (site / "claims" / f"{A}.html").read_text()
    assert 'data-status="disputed"' in claim and "<svg" in claim
    assert "Someone else" not in claim  # the later append is not in the pinned site
    assert "&lt;script&gt;" in (site / "claims" / f"{HOSTILE}.html").read_text()
    assert (site / "static" / "style.css").exists() and (site / "verify.html").exists()


def test_publish_refuses_a_missing_ledger(tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["publish", str(tmp_path / "site"), "--db", str(tmp_path / "none.db")]
    )
    assert result.exit_code == 1 and "no ledger at" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_export_as_timelinejs_has_one_group_per_claim_and_written_precision(seeded: str) -> None:
    doc = json.loads(run("export", "--as", "timelinejs", "--db", seeded).stdout)
    with service.open(seeded, create=False) as lg:
        claims = {a["claim_id"]: a for a in lg.list()}
    assert {e["group"] for e in doc["events"]} == set(claims)
    bridge = next(
        e for e in doc["events"] if e["group"] == RESOLVED and "asserted" in e["text"]["headline"]
    )
    assert bridge["start_date"] == {"year": 2023, "month": 11, "display_date": "2023-11"}
    denial = next(e for e in doc["events"] if e["group"] == A and "denied" in e["text"]["headline"])
    assert denial["start_date"]["display_date"] == "2023-11-02/2023-11-20"
    assert denial["end_date"] == {"year": 2023, "month": 11, "day": 20}


def test_export_as_timelinejs_follows_the_basis(seeded: str) -> None:
    early = json.loads(
        run("export", "--as", "timelinejs", "--as-of", "2023-11-02", "--db", seeded).stdout
    )
    with service.open(seeded, create=False) as lg:
        visible_then = {a["claim_id"] for a in lg.list(as_of="2023-11-02")}
        everything = {a["claim_id"] for a in lg.list()}
    assert {e["group"] for e in early["events"]} == visible_then != everything
    tentative = next(e for e in early["events"] if "denied" in e["text"]["headline"])
    assert "tentative" in tentative["text"]["text"]


def test_export_as_claimreview_reviews_only_resolved_claims(seeded: str) -> None:
    reviews = json.loads(run("export", "--as", "claimreview", "--db", seeded).stdout)
    assert [r["identifier"] for r in reviews] == [RESOLVED]
    (review,) = reviews
    assert review["@context"] == "https://schema.org" and review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == "The bridge was closed in November"
    assert review["itemReviewed"]["author"]["name"] == "Daily Example"
    assert review["itemReviewed"]["datePublished"] == "2023-11-01"
    assert review["reviewRating"]["alternateName"] == "refuted"
    assert review["author"]["name"] == "City council" and review["datePublished"] == "2023-12-02"
    before = json.loads(
        run("export", "--as", "claimreview", "--as-of", "2023-11-30", "--db", seeded).stdout
    )
    assert before == []


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (
            "2023-01-01T00:00:00Z",
            "2024-01-01T00:00:00Z",
            {"start_date": {"year": 2023, "display_date": "2023"}},
        ),
        (
            "2023-12-01T00:00:00Z",
            "2024-01-01T00:00:00Z",
            {"start_date": {"year": 2023, "month": 12, "display_date": "2023-12"}},
        ),
        (
            "2023-11-02T00:00:00Z",
            "2023-11-03T00:00:00Z",
            {"start_date": {"year": 2023, "month": 11, "day": 2, "display_date": "2023-11-02"}},
        ),
        (
            "2023-11-02T15:30:00Z",
            "2023-11-02T15:31:00Z",
            {
                "start_date": {
                    "year": 2023,
                    "month": 11,
                    "day": 2,
                    "hour": 15,
                    "minute": 30,
                    "second": 0,
                    "display_date": "2023-11-02T15:30:00Z/2023-11-02T15:31:00Z",
                },
                "end_date": {
                    "year": 2023,
                    "month": 11,
                    "day": 2,
                    "hour": 15,
                    "minute": 31,
                    "second": 0,
                },
            },
        ),
    ],
)
def test_timelinejs_dates_keep_the_written_precision(
    start: str, end: str, expected: dict[str, Any]
) -> None:
    assert timeline_dates(parse_instant(start), parse_instant(end)) == expected


def test_an_unknown_export_kind_is_a_usage_error(seeded: str) -> None:
    result = runner.invoke(cli, ["export", "--as", "csv", "--db", seeded])
    assert result.exit_code == 2


def test_the_inlined_picture_needs_no_inline_style_and_carries_no_script() -> None:
    drawn = (
        '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><defs><style type="text/css">'
        '*{stroke-linecap: butt}</style></defs><path style="fill: #ff0000; stroke-width: 0.8"/></svg>'
    )
    inlined = str(inline_svg(drawn))
    assert inlined.startswith("<svg") and "<style" not in inlined and "style=" not in inlined
    assert 'fill="#ff0000"' in inlined and 'stroke-width="0.8"' in inlined
    for hostile in (
        "<svg><script>alert(1)</script></svg>",
        '<svg onload="alert(1)"></svg>',
        '<svg><a href="javascript:alert(1)">x</a></svg>',
    ):
        assert inline_svg(hostile) is None


def test_visible_writes_out_every_hiding_character() -> None:
    assert visible("plain text, «quoted»") == "plain text, «quoted»"
    assert visible("a\u202eb\u200bc\x1bd\u2066e") == "a\\u{202E}b\\u{200B}c\\u{001B}d\\u{2066}e"


def test_a_snippet_highlights_its_hits_and_escapes_the_rest() -> None:
    shown = str(snippet("the [denied] <img src=x onerror=alert(1)> [claim]\u202e"))
    assert shown == (
        "the <mark>denied</mark> &lt;img src=x onerror=alert(1)&gt; <mark>claim</mark>\\u{202E}"
    )
