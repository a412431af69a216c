"""SQL-looking input is data: stored and matched literally; no SQL is built by string formatting."""

from __future__ import annotations

import ast
import json
import re
import uuid
from pathlib import Path

import pytest

from tests.faults._support import (
    assert_ok,
    assert_one_error_line,
    cli_in_process,
    export_lines,
    record_figures,
    run_ledger,
    sqlite_stats,
    verify_digest,
)

REPO = Path(__file__).resolve().parents[2]
DROP = "'; DROP TABLE events; --"
SQLISH = [
    DROP,
    "%",
    "_",
    "\\",
    "' OR '1'='1",
    '" OR ""="',
    "%_\\%",
    "x'); DELETE FROM events WHERE ('1'='1",
    "$$; TRUNCATE events; $$",
    "1; SELECT pg_sleep(10)",
]
NS = uuid.UUID("3c1f2e4d-5a6b-4c7d-8e9f-0a1b2c3d4e5f")


def _claim(i: int) -> str:
    return f"sql-literal-{i}"


@pytest.fixture(scope="module")
def sql_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One claim per SQL-looking actor; every free-text field of the event holds it too."""
    db = str(tmp_path_factory.mktemp("sql") / "sql.db")
    lines = []
    for i, value in enumerate(SQLISH):
        lines.append(json.dumps({
            "event_id": str(uuid.uuid5(NS, str(i))),
            "type": "ClaimMade",
            "claim_id": _claim(i),
            "occurred_at": "2023-11-21",
            "data": {
                "claimant": value, "statement": value, "attributed_to": value, "origin": value,
                "quote": value, "tags": [value],
                "source": {"name": value, "url": value, "published_at": "2023-11-21"},
                "proposition": {"subject": value, "predicate": value, "object": value},
            },
            "metadata": {"recorded_by": value, value: value},
        }))
    lines.append(json.dumps({
        "event_id": str(uuid.uuid5(NS, "plain")), "type": "ClaimMade", "claim_id": "sql-plain",
        "occurred_at": "2023-11-21", "data": {"claimant": "Reuters", "statement": "plain"},
    }))
    assert_ok(run_ledger("import", "-", "--db", db, input="\n".join(lines) + "\n"))
    return db


@pytest.mark.timeout(180)
def test_sql_looking_values_are_stored_literally(sql_db: str) -> None:
    rows = {r["claim_id"]: r for r in export_lines(sql_db)}
    for i, value in enumerate(SQLISH):
        data = rows[_claim(i)]["data"]
        assert data["claimant"] == data["quote"] == data["source"]["url"] == value
        assert data["proposition"]["object"] == value and data["tags"] == [value]
        assert rows[_claim(i)]["metadata"] == {"recorded_by": value, value: value}
    assert sqlite_stats(sql_db) == (len(SQLISH) + 1, 1, len(SQLISH) + 1)
    verify_digest(sql_db)


@pytest.mark.timeout(180)
def test_sql_looking_filters_match_literally(sql_db: str) -> None:
    def claims(*args: str) -> list[str]:
        result = assert_ok(cli_in_process(*args, "-f", "json", "--db", sql_db))
        return sorted(a["claim_id"] for a in json.loads(result.stdout))

    everything = sorted([_claim(i) for i in range(len(SQLISH))] + ["sql-plain"])
    assert claims("claim", "list") == everything
    for i, value in enumerate(SQLISH):
        # Each value finds exactly the claim whose actor is that string: no LIKE, no escapes.
        assert claims("claim", "list", "--actor", value) == [_claim(i)], repr(value)
    for pattern in ("R%", "%s", "Reuter_", "Reuters%", "%%", "*", ".*"):
        assert claims("claim", "list", "--actor", pattern) == [], pattern
    # Filters on the log and the export are equality, not patterns.
    for value in ("%", "_", DROP, "sql-%"):
        logged = assert_ok(cli_in_process("log", "--claim", value, "-f", "json", "--db", sql_db))
        assert json.loads(logged.stdout) == [], value
        # --type names a type of the catalogue: a pattern is refused, never matched.
        typed = cli_in_process("log", "--type", value, "-f", "json", "--db", sql_db)
        assert_one_error_line(typed, "unknown event type")
        assert typed.stdout == b"", value
    exported = assert_ok(cli_in_process("export", "--claim", "%", "--db", sql_db))
    assert exported.stdout == b""
    record_figures("sql-looking filters", sql_queries=len(SQLISH) + 7 + 8 + 1)


@pytest.mark.timeout(240)
def test_sql_looking_arguments_everywhere(tmp_path: Path) -> None:
    """Every argument of the CLI, through the real program: stored literally or refused."""
    db = str(tmp_path / "args.db")
    made = assert_ok(run_ledger(
        "claim", "make", "sql-args", "--claimant", DROP, "--statement", "%", "--attributed-to",
        "_", "--origin", "\\", "--quote", "' OR '1'='1", "--source", DROP, "--source-url", "%_\\%",
        "--subject", DROP, "--predicate", "%", "--object", "_", "--tag", DROP, "--tag", "%",
        "--recorded-by", DROP, "--occurred-at", "2023-11-21", "--db", db,
    ))
    stored = json.loads(made.stdout)
    assert stored["data"]["claimant"] == DROP and stored["data"]["statement"] == "%"
    assert stored["data"]["tags"] == [DROP, "%"] and stored["metadata"] == {"recorded_by": DROP}
    assert_ok(run_ledger("claim", "deny", "sql-args", "--denier", "%", "--statement", DROP,
                         "--occurred-at", "2023-11-22", "--db", db))
    assert_ok(run_ledger("sanction", "threaten", "sql-args", "--threatened-by", "_", "--target",
                         DROP, "--authority", "%", "--condition", "\\", "--occurred-at",
                         "2023-11-23", "--db", db))
    corrected = assert_ok(run_ledger("record", "correct", stored["event_id"], "--set",
                                     f"quote={DROP}", "--reason", "%_\\", "--db", db))
    assert json.loads(corrected.stdout)["data"]["changes"] == {"quote": DROP}

    refusals = [
        (("claim", "make", DROP, "--claimant", "a", "--statement", "b", "--occurred-at", "2023"),
         "claim"),
        (("claim", "make", "%", "--claimant", "a", "--statement", "b", "--occurred-at", "2023"),
         "claim"),
        (("claim", "make", "ok-id", "--claimant", "a", "--statement", "b", "--occurred-at", DROP),
         "occurred_at"),
        (("claim", "link", "sql-args", "--relation", "supports", "--to", DROP,
          "--occurred-at", "2023"), "other_claim_id"),
        (("claim", "show", DROP), ""),
        (("claim", "show", "sql-args", "--as-of", DROP), "as_of"),
        (("claim", "show", "sql-args", "--known-at", "@1; DROP TABLE events"), ""),
        (("claim", "history", "%"), ""),
        (("claim", "list", "--tz", DROP), "time zone"),
        (("claim", "list", "--tz", "../../../etc/passwd"), "time zone"),
        (("diff", "--from", "%", "--to", "_"), ""),
        (("verify", "--digest", f"1:{DROP}"), "digest"),
        (("record", "void", DROP, "--reason", "%"), ""),
        (("record", "correct", "%", "--reason", DROP, "--set", "quote=x"), ""),
    ]
    for args, fragment in refusals:
        assert_one_error_line(cli_in_process(*args, "--db", db), fragment)
    # A SQL-looking --db is just a file name.
    odd = tmp_path / DROP
    assert_ok(run_ledger("init", "--db", str(odd)))
    assert odd.is_file()

    assert sqlite_stats(db) == (4, 1, 4)
    assert verify_digest(db).startswith("4:")
    shown = json.loads(
        assert_ok(run_ledger("claim", "show", "sql-args", "-f", "json", "--db", db)).stdout
    )
    assert shown["claimants"][0]["quote"] == DROP  # the correction applied, literally
    by_actor = assert_ok(run_ledger("claim", "list", "--actor", "%", "-f", "json", "--db", db))
    assert [a["claim_id"] for a in json.loads(by_actor.stdout)] == ["sql-args"]  # the denier "%"
    nothing = assert_ok(run_ledger("claim", "list", "--actor", "%%", "-f", "json", "--db", db))
    assert json.loads(nothing.stdout) == []
    record_figures("sql-looking arguments", sql_args_refused=len(refusals), sql_args_stored=4)


# -- no SQL built by string formatting ---------------------------------------------------------

# Statements, not words: SQL keywords in upper case (as every statement in this code base is
# written), or the unambiguous lower-case forms; prose such as "select a file from" is not SQL.
_SQL_UPPER = re.compile(
    r"\b(SELECT\b[\s\S]*\bFROM\b|INSERT\s+INTO\b|UPDATE\s+\S+\s+SET\b|DELETE\s+FROM\b|"
    r"CREATE\s+(OR\s+REPLACE\s+|UNIQUE\s+|TEMP\s+)?(TABLE|INDEX|TRIGGER|FUNCTION|VIEW|SCHEMA|"
    r"DATABASE|ROLE)\b|DROP\s+(TABLE|INDEX|TRIGGER|FUNCTION|VIEW|SCHEMA|DATABASE|ROLE)\b|"
    r"ALTER\s+(TABLE|ROLE|SYSTEM)\b|TRUNCATE\s+TABLE\b|TRUNCATE\s+[\w\".{}]+\s*(;|$|CASCADE|"
    r"RESTART)|PRAGMA\s+\S|COPY\s+\S+.*\b(FROM|TO)\b)"
)
_SQL_LOWER = re.compile(
    r"\b(insert\s+into\s+\S+\s*(\(|values|select)|delete\s+from\s+\S+\s+where|"
    r"update\s+\S+\s+set\s+\S+\s*=|select\s+\S+(\s*,\s*\S+)*\s+from\s+\S+\s+where|"
    r"(create|drop)\s+table\b)",
    re.IGNORECASE,
)


def _is_sql(text: str) -> bool:
    return bool(_SQL_UPPER.search(text) or _SQL_LOWER.search(text))


def _module_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level names bound once to constant text (literals and sums of them)."""
    constants: dict[str, str] = {}
    assigned: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    assigned[target.id] = assigned.get(target.id, 0) + 1
    changed = True
    while changed:
        changed = False
        for node in tree.body:
            if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Name)
                    and assigned.get(target.id) == 1
                    and target.id not in constants
                    and _is_constant(node.value, constants)
                ):
                    constants[target.id] = _literal_text(node.value, constants)
                    changed = True
    return constants


def _is_constant(node: ast.AST, constants: dict[str, str]) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Name):
        return node.id in constants
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_constant(node.left, constants) and _is_constant(node.right, constants)
    if isinstance(node, ast.JoinedStr):
        return all(
            isinstance(v, ast.Constant)
            or (isinstance(v, ast.FormattedValue) and _is_constant(v.value, constants))
            for v in node.values
        )
    return False


def _literal_text(node: ast.AST, constants: dict[str, str]) -> str:
    """The constant text of an expression; a blank for each part computed at run time."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    if isinstance(node, ast.FormattedValue):
        return _literal_text(node.value, constants)
    if isinstance(node, ast.JoinedStr):
        return "".join(_literal_text(v, constants) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal_text(node.left, constants) + _literal_text(node.right, constants)
    return "{}"  # a value computed at run time


def sql_built_by_formatting(source: str, filename: str) -> list[str]:
    """Every f-string, % or .format() (or + concatenation) that splices run-time values into SQL.

    Text assembled only from literals and module constants (a column list, say) is constant
    SQL, not formatting of values, and is allowed.
    """
    tree = ast.parse(source, filename)
    constants = _module_constants(tree)
    found = []
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.JoinedStr) and not _is_constant(node, constants):
            text = _literal_text(node, constants)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and (
            isinstance(node.left, (ast.Constant, ast.JoinedStr, ast.Name))
        ):
            text = _literal_text(node.left, constants)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and isinstance(node.func.value, (ast.Constant, ast.JoinedStr, ast.Name))
        ):
            text = _literal_text(node.func.value, constants)
        elif (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Add)
            and not _is_constant(node, constants)
        ):
            text = _literal_text(node, constants)
        if text and _is_sql(text):
            found.append(f"{filename}:{node.lineno}: {' '.join(text.split())[:90]!r}")
    by_line: dict[int, str] = {}
    for finding in found:
        by_line.setdefault(int(finding.split(":")[1]), finding)
    return [by_line[line] for line in sorted(by_line)]


@pytest.mark.timeout(60)
def test_the_detector_finds_formatted_sql() -> None:
    bad = '''
def f(name, value):
    a = f"SELECT * FROM {name} WHERE x = 1"
    b = "DELETE FROM events WHERE id = %s" % value
    c = "INSERT INTO {} VALUES (1)".format(name)
    d = "UPDATE events SET x = " + value
    e = f"DROP TABLE {name}"
    g = f"PRAGMA {name}=1"
    h = "SELECT a FROM events WHERE b = '" + value + "'"
    i = "select hash from events where position = %d" % value
    j = f"delete from {name} where 1=1"
'''
    good = '''
from sqlalchemy import text
COLUMNS = "a, b, " + "c"
INSERT = "INSERT INTO events (" + COLUMNS + ") VALUES (?, ?, ?)"
COPY = f"COPY events ({COLUMNS}) FROM STDIN"
def f(name):
    a = text("SELECT * FROM events WHERE x = :x")
    b = f"the role may UPDATE/DELETE/TRUNCATE {name}: run REVOKE UPDATE ON events"
    c = "SELECT 1 FROM events"
    d = f"cannot create {name}: select another file from the list"
'''
    found = sql_built_by_formatting(bad, "bad.py")
    assert [int(f.split(":")[1]) for f in found] == [3, 4, 5, 6, 7, 8, 9, 10, 11], found
    assert sql_built_by_formatting(good, "good.py") == []


@pytest.mark.timeout(60)
def test_no_sql_is_built_by_string_formatting() -> None:
    files = sorted((REPO / "ledger").rglob("*.py")) + sorted((REPO / "migrations").rglob("*.py"))
    assert len(files) > 20
    found = []
    for path in files:
        source = path.read_text(encoding="utf-8")
        found += sql_built_by_formatting(source, str(path.relative_to(REPO)))
    assert found == [], "SQL built by string formatting:\n" + "\n".join(found)
