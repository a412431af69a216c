"""`ledger why` and `ledger timeline` through the CLI on both engines: seed, corrected story."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ledger.cli.app import app

A = "wagner-pantsir-s1-to-hezbollah"
B = "wagner-air-defense-to-hezbollah-or-iran"
DENIAL = "5cd0041c-1048-533d-8249-9461a931dd89"
WSJ = "c68f02f5-f290-5aa7-8d5a-8cb6b3155b20"

runner = CliRunner()


def run(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


def ok(*args: str, input: str | None = None) -> Any:
    result = run(*args, input=input)
    assert result.exit_code == 0, result.output
    return result


def as_json(*args: str) -> Any:
    return json.loads(ok(*args, "-f", "json").stdout)


@pytest.fixture
def seeded(db_url: str) -> str:
    ok("seed", "--db", db_url)
    return db_url


STORY = [
    {"event_id": "00000000-0000-4000-8000-000000000001", "type": "ClaimMade",
     "claim_id": "bridge", "occurred_at": "2023-11-05",
     "data": {"claimant": "Reuters", "statement": "The bridge fell"}},
    {"event_id": "00000000-0000-4000-8000-000000000002", "type": "ClaimCorroborated",
     "claim_id": "bridge", "occurred_at": "2023-11-07", "data": {"corroborator": "AP"}},
    {"event_id": "00000000-0000-4000-8000-000000000003", "type": "ClaimDenied",
     "claim_id": "bridge", "occurred_at": "2023-11", "data": {"denier": "Ministry of Defence"}},
    {"event_id": "00000000-0000-4000-8000-000000000004", "type": "RecordCorrected",
     "data": {"target_event_id": "00000000-0000-4000-8000-000000000003",
              "changes": {"occurred_at": "2023-11-20"}, "reason": "it was on the 20th"}},
    {"event_id": "00000000-0000-4000-8000-000000000005", "type": "RecordVoided",
     "data": {"target_event_id": "00000000-0000-4000-8000-000000000003",
              "reason": "the quote was from another story"}},
]


@pytest.fixture
def story(db_url: str) -> str:
    for line in STORY:  # one position each, so every erratum has a basis of its own
        ok("append", "-", "--db", db_url, input=json.dumps(line) + "\n")
    return db_url


def test_why_leads_with_one_sentence_naming_the_denier_and_the_rule(seeded: str) -> None:
    out = ok("why", A, "--db", seeded).stdout
    first = out.splitlines()[0]
    assert first.startswith("disputed since 2023-11-02 (tentative until 2023-11-21) because "
                            "Dmitry Peskov (Kremlin) denied it; rule 4 outranks")
    assert "denies" in out and "US government" in out


def test_why_json_has_exactly_the_keys_and_the_deciding_denial(seeded: str) -> None:
    answer = as_json("why", A, "--db", seeded)
    assert list(answer) == ["claim_id", "status", "tentative", "basis", "rule", "origins",
                            "reasons", "fields"]
    assert (answer["status"], answer["rule"], answer["tentative"]) == ("disputed", 4, False)
    assert answer["origins"] == ["US government"]
    (reason,) = answer["reasons"]
    assert reason == {
        "event_id": DENIAL, "position": 2, "type": "ClaimDenied",
        "actor": "Dmitry Peskov (Kremlin)", "origin": None,
        "occurred_from": "2023-11-02T00:00:00.000000Z",
        "occurred_to": "2023-11-21T00:00:00.000000Z", "tentative": False, "role": "denies",
        "corrected_by": [],
    }
    assert answer["fields"] == {"statement": WSJ, "first_occurred_at": WSJ,
                                "last_occurred_at": WSJ, "resolution": None}
    assert answer["basis"] == as_json("claim", "show", A, "--db", seeded)["basis"]


def test_why_with_certain_before_the_denial_ends_is_rule_7_off_the_record(seeded: str) -> None:
    answer = as_json("why", A, "--as-of", "2023-11-10", "--certain", "--db", seeded)
    assert (answer["status"], answer["rule"]) == ("reported", 7)
    assert [(r["event_id"], r["role"]) for r in answer["reasons"]] == [(WSJ, "asserts")]
    tentative = as_json("why", A, "--as-of", "2023-11-10", "--db", seeded)
    assert tentative["tentative"] is True and tentative["reasons"][0]["tentative"] is True


def test_why_on_the_record_claim_is_rule_6(seeded: str) -> None:
    answer = as_json("why", B, "--db", seeded)
    assert (answer["status"], answer["rule"]) == ("asserted", 6)
    assert [r["actor"] for r in answer["reasons"]] == ["John Kirby (US NSC)"]


@pytest.mark.parametrize(
    ("args", "words"),
    [(("why", "no-such-claim"), "no claim 'no-such-claim'"),
     (("why", A, "--as-of", "2023-11-01"), "no visible event"),
     (("timeline", "no-such-claim"), "no claim 'no-such-claim'"),
     (("timeline", A, "--known-at", "@0"), "no claim"),
     (("why", A, "--known-at", "@999"), "beyond the head")],
)
def test_bad_questions_are_one_error_line(seeded: str, args: tuple[str, ...], words: str) -> None:
    result = run(*args, "--db", seeded)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_timeline_world_items_are_what_claim_show_answers(seeded: str) -> None:
    answer = as_json("timeline", A, "--db", seeded)
    assert list(answer) == ["claim_id", "basis", "world", "ledger"]
    world = answer["world"]
    assert [(i["from"], i["status"], i["tentative"]) for i in world] == [
        ("2023-11-02T00:00:00.000000Z", "disputed", True),
        ("2023-11-20T23:59:59.999999Z", "disputed", False),
    ]
    for item in world:
        shown = as_json("claim", "show", A, "--as-of", item["from"], "--db", seeded)
        assert (shown["status"], shown["tentative"]) == (item["status"], item["tentative"])
    assert [(i["position"], i["status"], i["event_id"]) for i in answer["ledger"]] == [
        (1, "reported", WSJ), (2, "disputed", DENIAL)]


def test_timeline_follows_a_correction_and_a_void_in_ledger_time(story: str) -> None:
    answer = as_json("timeline", "bridge", "--db", story)
    assert [(i["position"], i["status"]) for i in answer["ledger"]] == [
        (1, "asserted"), (2, "corroborated"), (3, "disputed"), (5, "corroborated")]
    for item in answer["ledger"]:
        shown = as_json("claim", "show", "bridge", "--known-at", f"@{item['position']}",
                        "--db", story)
        assert shown["status"] == item["status"]
    at4 = as_json("timeline", "bridge", "--known-at", "@4", "--db", story)["world"]
    # Corrected to the 20th: disputed from then, no longer from the 1st of the month.
    assert ("2023-11-20T00:00:00.000000Z", "disputed") in [(i["from"], i["status"]) for i in at4]
    assert all(i["from"] > "2023-11-02" for i in at4 if i["status"] == "disputed")


def test_why_lists_the_correction_that_changed_a_reason(story: str) -> None:
    answer = as_json("why", "bridge", "--known-at", "@4", "--db", story)
    (denial,) = answer["reasons"]
    assert denial["corrected_by"] == ["00000000-0000-4000-8000-000000000004"]
    assert denial["occurred_from"] == "2023-11-20T00:00:00.000000Z"
    after_void = as_json("why", "bridge", "--db", story)
    assert (after_void["rule"], after_void["origins"]) == (5, ["Reuters", "AP"])
    assert [r["role"] for r in after_void["reasons"]] == ["asserts", "corroborates"]


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_timeline_out_draws_a_picture(story: str, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"bridge.{suffix}"
    result = ok("timeline", "bridge", "--out", str(out), "--db", story)
    assert result.stdout == "" and str(out) in result.stderr
    data = out.read_bytes()
    if suffix == "png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    else:
        text = data.decode()
        assert text.lstrip().startswith("<?xml") and "<svg" in text
        # Self-contained: inlined in a page, it must fetch nothing.
        for outside in ("<image", "@import", "@font-face", "url(http", 'href="http'):
            assert outside not in text
        assert "bridge" in text or "glyph" in text  # the title is drawn (as text or glyphs)


def test_timeline_picture_is_the_same_for_the_same_basis(story: str, tmp_path: Path) -> None:
    first, second = tmp_path / "1.svg", tmp_path / "2.svg"
    ok("timeline", "bridge", "--known-at", "@3", "--out", str(first), "--db", story)
    ok("timeline", "bridge", "--known-at", "@3", "--out", str(second), "--db", story)
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize("name", ["bridge.txt", "bridge", "missing-folder/bridge.svg",
                                  "a-file/bridge.png"])
def test_timeline_out_to_a_bad_path_is_one_error_and_writes_nothing(
    story: str, tmp_path: Path, name: str
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = run("timeline", "bridge", "--out", str(tmp_path / name), "--db", story)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_timeline_table_shows_both_axes(seeded: str) -> None:
    out = ok("timeline", A, "--db", seeded).stdout
    assert "world time" in out and "ledger time" in out and "disputed" in out


@pytest.mark.parametrize("command", ["why", "timeline"])
def test_help_has_an_example(command: str) -> None:
    result = ok(command, "--help")
    assert "Example: ledger " + command in result.stdout


def test_only_the_picture_imports_matplotlib(seeded: str) -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from ledger.cli.app import app\n"
        "for args in (['why', sys.argv[1]], ['timeline', sys.argv[1]]):\n"
        "    assert CliRunner().invoke(app, [*args, '--db', sys.argv[2]]).exit_code == 0\n"
        "print('matplotlib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, A, seeded], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


def test_an_alias_merges_two_origins_from_its_position_on(db_url: str) -> None:
    for day, name in (("2023-11-02", "Sergei Shoigu"), ("2023-11-03", "Sergei Choigou")):
        ok("claim", "make", "visit", "--claimant", name, "--statement", "He visited Iran",
           "--occurred-at", day, "--db", db_url)
    ok("actor", "add", "shoigu", "--name", "Sergei Shoigu", "--db", db_url)
    ok("actor", "alias", "shoigu", "Sergei Choigou", "--db", db_url)
    before = as_json("why", "visit", "--known-at", "@3", "--db", db_url)
    assert (before["status"], before["rule"]) == ("corroborated", 5)
    assert before["origins"] == ["Sergei Shoigu", "Sergei Choigou"]
    after = as_json("why", "visit", "--db", db_url)
    assert (after["status"], after["rule"], after["origins"]) == ("asserted", 6, ["Sergei Shoigu"])
    assert [r["role"] for r in after["reasons"]] == ["asserts", "asserts"]
    ledger_time = as_json("timeline", "visit", "--db", db_url)["ledger"]
    assert [(i["position"], i["status"]) for i in ledger_time] == [
        (1, "asserted"), (2, "corroborated"), (4, "asserted")]
    assert as_json("timeline", "visit", "--db", db_url)["world"][-1]["status"] == "asserted"
    assert as_json("timeline", "visit", "--known-at", "@3", "--db", db_url)["world"][-1][
        "status"] == "corroborated"
