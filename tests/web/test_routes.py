"""The routes of the web view through Starlette's test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from markupsafe import escape
from typer.testing import CliRunner

import ledger.service as service
from ledger.cli.app import app as cli
from tests.web.conftest import BIDI, HOSTILE, RESOLVED, A

runner = CliRunner()


def cli_json(*args: str) -> Any:
    result = runner.invoke(cli, [*args, "-f", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def cli_error(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 1, result.output
    line = result.stderr.strip()
    assert line.startswith("Error: ")
    return line.removeprefix("Error: ")


def rendered_status(html: str) -> str:
    found = re.search(
        r'<span id="status"><span class="status status-[a-z]+" data-status="([a-z]+)"', html
    )
    assert found, html[:2000]
    return found.group(1)


@pytest.mark.parametrize(
    "basis",
    [{}, {"as_of": "2023-11-10"}, {"as_of": "2023-11-10", "certain": "1"}, {"known_at": "@1"}],
)
def test_the_claim_page_shows_the_status_the_cli_gives_at_the_same_basis(
    client: Any, seeded: str, basis: dict[str, str]
) -> None:
    flags = [f"--{k.replace('_', '-')}" for k in basis if k == "certain"]
    flags += [
        x for k, v in basis.items() if k != "certain" for x in (f"--{k.replace('_', '-')}", v)
    ]
    expected = cli_json("claim", "show", A, "--db", seeded, *flags)
    page = client.get(f"/claims/{A}", params=basis)
    assert page.status_code == 200
    assert rendered_status(page.text) == expected["status"]
    assert client.get(f"/api/claims/{A}", params=basis).json() == expected


def test_moving_the_basis_changes_the_answer(client: Any) -> None:
    assert (
        rendered_status(client.get(f"/claims/{A}", params={"as_of": "2023-11-10"}).text)
        == "disputed"
    )
    certain = client.get(f"/claims/{A}", params={"as_of": "2023-11-10", "certain": "1"})
    assert rendered_status(certain.text) == "reported"


def test_the_list_twin_is_the_cli_array_and_pages_say_how_many_in_all(
    client: Any, seeded: str
) -> None:
    everything = cli_json("claim", "list", "--db", seeded)
    whole = client.get("/api/claims")
    assert whole.json() == everything
    assert whole.headers["x-total-count"] == str(len(everything))
    page = client.get("/api/claims", params={"limit": 3, "offset": 3})
    assert page.json() == everything[3:6]
    assert page.headers["x-total-count"] == str(len(everything))
    html = client.get("/", params={"limit": 3, "offset": 3}).text
    assert f"4–6 of {len(everything)} claims" in html
    assert [m for m in re.findall(r'<tr data-claim="([^"]+)"', html)] == [
        a["claim_id"] for a in everything[3:6]
    ]
    assert 'rel="next"' in html and 'rel="prev"' in html


def test_the_list_filters_by_status_and_actor_like_the_cli(client: Any, seeded: str) -> None:
    disputed = cli_json("claim", "list", "--db", seeded, "--status", "disputed")
    assert client.get("/api/claims", params={"status": "disputed"}).json() == disputed
    html = client.get("/", params={"status": "disputed"}).text
    assert re.findall(r'<tr data-claim="([^"]+)"', html) == [a["claim_id"] for a in disputed]
    by_actor = cli_json("claim", "list", "--db", seeded, "--actor", "dmitry peskov (kremlin)")
    got = client.get("/api/claims", params={"actor": "dmitry peskov (kremlin)"}).json()
    assert got == by_actor and got


def test_the_json_twins_equal_the_service_answers(client: Any, lg: service.Ledger) -> None:
    basis = {"as_of": "2023-11-10", "known_at": "@2"}
    assert client.get(f"/api/claims/{A}/why", params=basis).json() == lg.why(A, **basis)
    assert client.get(f"/api/claims/{A}/timeline", params={"known_at": "@2"}).json() == lg.timeline(
        A, known_at="@2"
    )
    assert client.get(f"/api/claims/{A}/history").json() == lg.history(A)
    diff = client.get("/api/diff", params={"from": "@5", "to": "head"}).json()
    assert diff == json.loads(json.dumps(dict(lg.diff(from_="@5", to="head"))))
    assert client.get("/api/search", params={"q": "denied"}).json() == lg.search("denied")
    report = client.get("/api/verify").json()
    assert report == lg.verify() and report["ok"]


def test_the_verify_page_shows_the_head_digest(client: Any, lg: service.Ledger) -> None:
    html = client.get("/verify").text
    assert f'<code id="digest" class="digest">{lg.verify()["digest"]}</code>' in html
    assert 'data-ok="true"' in html


def test_an_unknown_claim_is_404_with_the_cli_message(client: Any, seeded: str) -> None:
    message = cli_error("claim", "show", "no-such-claim", "--db", seeded)
    api = client.get("/api/claims/no-such-claim")
    assert api.status_code == 404 and api.json() == {"error": message}
    page = client.get("/claims/no-such-claim")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert str(escape(f"Error: {message}")) in page.text


@pytest.mark.parametrize(
    ("params", "flags"),
    [
        ({"as_of": "not-a-date"}, ["--as-of", "not-a-date"]),
        ({"known_at": "@999"}, ["--known-at", "@999"]),
        ({"known_at": "@x"}, ["--known-at", "@x"]),
    ],
)
def test_a_bad_basis_is_400_with_the_cli_message(
    client: Any, seeded: str, params: dict[str, str], flags: list[str]
) -> None:
    message = cli_error("claim", "show", A, "--db", seeded, *flags)
    api = client.get(f"/api/claims/{A}", params=params)
    assert api.status_code == 400 and api.json() == {"error": message}
    page = client.get(f"/claims/{A}", params=params)
    assert page.status_code == 400 and str(escape(f"Error: {message}")) in page.text
    assert client.get("/", params=params).status_code == 400
    assert client.get("/api/claims", params=params).status_code == 400


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", ["/", f"/claims/{A}", "/api/claims", "/api/verify", "/nowhere"])
def test_any_method_but_get_and_head_is_405(client: Any, method: str, path: str) -> None:
    answer = client.request(method, path)
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, HEAD"


def test_head_is_answered(client: Any) -> None:
    assert client.head(f"/claims/{A}").status_code == 200


@pytest.mark.parametrize(
    "path", ["/", f"/claims/{A}", "/api/claims", "/claims/none", "/static/style.css"]
)
def test_every_answer_sends_a_self_only_content_security_policy(client: Any, path: str) -> None:
    policy = client.get(path).headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "http" not in policy


def test_hostile_strings_are_text_never_markup(client: Any) -> None:
    for path in (f"/claims/{HOSTILE}", "/", "/search?q=statement"):
        html = client.get(path).text
        assert "<script>" not in html and "<img src=x" not in html
        assert BIDI[0] not in html and BIDI[-1] not in html
        assert 'href="javascript:' not in html
        assert "Evil <b>" not in html
    page = client.get(f"/claims/{HOSTILE}").text
    assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=" in page
    assert "\\u{202E}evil\\u{202C}" in page  # the override is shown, not obeyed


def test_every_page_shows_its_basis_and_a_permalink_pinned_to_its_position(
    client: Any, lg: service.Ledger
) -> None:
    head = lg.basis()["position"]
    for path in ("/", f"/claims/{A}", "/search?q=wagner"):
        html = client.get(path, params={"as_of": "2023-11-30"}).text
        assert f'<dd data-basis="position">{head}</dd>' in html
        link = re.search(r'<a class="permalink" id="permalink" href="([^"]+)"', html)
        assert (
            link and f"known_at=%40{head}" in link.group(1) and "as_of=2023-11-30" in link.group(1)
        )


def test_a_permalink_keeps_its_answer_after_appends(client: Any, lg: service.Ledger) -> None:
    page = client.get(f"/claims/{RESOLVED}").text
    pinned = re.search(r'id="permalink" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    before = client.get(pinned).text
    lg.record(
        "ClaimResolved",
        RESOLVED,
        occurred_at="2023-12-03",
        data={"outcome": "confirmed", "resolver": "Court"},
    )
    assert rendered_status(client.get(f"/claims/{RESOLVED}").text) == "confirmed"
    assert rendered_status(client.get(pinned).text) == rendered_status(before) == "refuted"


def test_the_diff_page_lists_what_changed(client: Any, lg: service.Ledger) -> None:
    html = client.get("/diff", params={"from": "@5", "to": "head"}).text
    expected = [c["claim_id"] for c in lg.diff(from_="@5", to="head")["changes"]]
    assert re.findall(r'<tr data-claim="([^"]+)"', html) == expected and expected
    assert client.get("/diff").status_code == 200
    assert client.get("/api/diff").status_code == 400


def test_the_search_page_shows_ranked_hits(client: Any, lg: service.Ledger) -> None:
    hits = lg.search("wagner")
    html = client.get("/search", params={"q": "wagner", "limit": 2}).text
    assert re.findall(r'<li data-claim="([^"]+)"', html) == [h["claim_id"] for h in hits[:2]]
    assert f"of {len(hits)} hits" in html


def test_unknown_actor_is_404(client: Any) -> None:
    assert client.get("/api/actors/nobody").status_code == 404
    assert client.get("/actors/nobody").status_code == 404


def test_an_actor_page_shows_the_registered_actor(client: Any, lg: service.Ledger) -> None:
    line = {
        "type": "ActorRegistered",
        "actor_id": "kremlin-peskov",
        "data": {"name": "Dmitry Peskov (Kremlin)", "aliases": ["Peskov"], "kind": "person"},
    }
    lg.import_ndjson(json.dumps(line).encode())
    assert client.get("/api/actors/kremlin-peskov").json() == lg.actor("kremlin-peskov")
    html = client.get("/actors/kremlin-peskov").text
    assert '<h1 id="name">Dmitry Peskov (Kremlin)</h1>' in html and ">Peskov</span>" in html
    claim = client.get(f"/claims/{A}").text
    assert 'href="/actors/kremlin-peskov"' in claim  # the denier is linked to the actor page


def test_a_search_with_more_hits_than_it_counts_says_more_than(
    client: Any, lg: service.Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ledger.service.pages as pages

    hits = lg.search("wagner")
    assert len(hits) > 2
    monkeypatch.setattr(pages, "SEARCH_COUNTED", 2)
    answer = client.get("/api/search", params={"q": "wagner", "limit": 1, "offset": 1})
    assert answer.json() == hits[1:2]
    assert "x-total-count" not in answer.headers
    assert answer.headers["x-total-count-more-than"] == "2"
    html = client.get("/search", params={"q": "wagner", "limit": 1}).text
    assert "1–1 of more than 2 hits" in html and 'rel="next"' in html


def test_the_claim_page_lists_archived_sources_with_their_copy(
    client: Any, lg: service.Ledger
) -> None:
    copy = b"<html><script>alert(1)</script>what the page said</html>"
    digest = lg.evidence_add(copy, media_type="text/html")["sha256"]
    line = {
        "type": "ClaimCorroborated",
        "claim_id": A,
        "occurred_at": "2023-11-25",
        "data": {"corroborator": "Reuters", "source": {"name": "Reuters", "archive": digest}},
    }
    lg.import_ndjson(json.dumps(line).encode())
    html = client.get(f"/claims/{A}").text
    section = html.split('id="sources"', 1)[1].split("</section>", 1)[0]
    assert digest in section and f"text/html, {len(copy)} bytes" in section
    assert "<script>alert" not in html  # the copy itself is never inlined
