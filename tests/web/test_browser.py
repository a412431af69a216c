"""The web view in a real browser: Debian's headless Chromium, driven by Selenium, against a
`ledger serve` subprocess on a seeded ledger, on SQLite and on PostgreSQL.

Each engine's tests share one server and one browser (an xdist group), so the two engines
can run side by side under `--dist loadgroup`.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ledger.service as service
from tests.conftest import PgSchema, postgres_base_url
from tests.web.conftest import HOSTILE, A, seed

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

pytestmark = pytest.mark.slow


def _browser_or_skip() -> None:
    if os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER):
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true but chromium/chromium-driver are missing: .ci/run installs them")
    pytest.skip("browser tests need Debian's chromium and chromium-driver")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`ledger serve` in a subprocess on a free port."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            "-c",
            "from ledger.cli.app import main; main()",
            "serve",
            "--db",
            db,
            "--port",
            str(self.port),
        ]
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"ledger serve exited: {self.process.stderr.read()}")  # type: ignore[union-attr]
            try:
                urllib.request.urlopen(self.base + "/static/style.css", timeout=2).close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError("ledger serve did not answer within a minute")

    def get(self, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.base + path, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as refused:
            return refused.code, dict(refused.headers), refused.read()

    def stop(self) -> str:
        self.process.terminate()
        try:
            _, err = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return err


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", marks=pytest.mark.xdist_group("web-browser-sqlite")),
        pytest.param(
            "postgres",
            marks=[pytest.mark.xdist_group("web-browser-postgres"), pytest.mark.postgres],
        ),
    ],
)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    _browser_or_skip()
    schema = None
    if request.param == "sqlite":
        db = str(tmp_path_factory.mktemp("web") / "ledger.db")
    else:
        base = postgres_base_url()
        assert base is not None
        schema = PgSchema(base)
        db = schema.url
    seed(db)
    server = Server(db)
    try:
        yield server
    finally:
        err = server.stop()
        if schema is not None:
            schema.drop()
        assert "Traceback" not in err, err


@pytest.fixture(scope="module")
def driver(served: Server) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1600",
        "--disable-extensions",
        "--no-first-run",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.set_page_load_timeout(60)
    try:
        yield browser
    finally:
        browser.quit()


def visit(driver: Any, served: Server, path: str) -> list[dict[str, Any]]:
    """Open a page; returns what the browser's console said while loading it."""
    driver.get_log("browser")  # drop what earlier pages left
    driver.get(served.base + path)
    return list(driver.get_log("browser"))


def ask(driver: Any) -> None:
    """Submit the basis form and wait until the browser shows the page it asked for.

    Reading the page straight after the click could still read the old one: under load the
    new page arrived after the assertion had looked (seen in CI)."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    old = driver.find_element("tag name", "html")
    driver.find_element("id", "ask").click()
    WebDriverWait(driver, 30).until(expected_conditions.staleness_of(old))
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def cli_json(db: str, *args: str) -> Any:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ledger.cli.app import main; main()",
            *args,
            "--db",
            db,
            "-f",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_every_page_renders_with_no_console_error(driver: Any, served: Server) -> None:
    pages = {
        "/": "Claims",
        f"/claims/{A}": "Wagner was preparing",
        "/diff?from=@5&to=head": "What changed",
        "/search?q=wagner": "Search",
        "/verify": "Verify the chain",
        f"/claims/{HOSTILE}": "A statement",
    }
    for path, heading in pages.items():
        console = visit(driver, served, path)
        assert console == [], (path, console)
        assert heading in driver.find_element("css selector", "h1").text, path


def test_the_claim_page_draws_the_timeline_inline(driver: Any, served: Server) -> None:
    assert visit(driver, served, f"/claims/{A}") == []
    picture = driver.find_elements("css selector", "figure.picture svg")
    assert picture and picture[0].size["width"] > 300


def test_the_rendered_status_of_every_claim_is_the_cli_status(driver: Any, served: Server) -> None:
    for basis in ([], ["--as-of", "2023-11-10"], ["--as-of", "2023-11-10", "--certain"]):
        expected = {
            a["claim_id"]: a["status"] for a in cli_json(served.db, "claim", "list", *basis)
        }
        query = "&".join(
            f"{flag[2:].replace('-', '_')}={value}" for flag, value in zip(basis[::2], basis[1::2])
        ) + ("&certain=1" if "--certain" in basis else "")
        visit(driver, served, "/?" + query)
        rows = driver.find_elements("css selector", "tr[data-claim]")
        shown = {
            row.get_attribute("data-claim"): row.find_element(
                "css selector", ".status"
            ).get_attribute("data-status")
            for row in rows
        }
        assert shown == expected, basis
        for row in rows:  # readable without colour: the word itself is on the badge
            badge = row.find_element("css selector", ".status")
            assert badge.get_attribute("data-status") in badge.text


def test_moving_the_basis_control_changes_the_answer(driver: Any, served: Server) -> None:
    visit(driver, served, f"/claims/{A}")
    status = lambda: driver.find_element("css selector", "#status .status").get_attribute(
        "data-status"
    )
    assert status() == "disputed"
    as_of = driver.find_element("id", "as_of")
    as_of.clear()
    as_of.send_keys("2023-11-10")
    driver.find_element("id", "certain").click()
    ask(driver)
    assert "as_of=2023-11-10" in driver.current_url and "certain=1" in driver.current_url
    assert status() == "reported"
    driver.find_element("id", "certain").click()
    ask(driver)
    assert status() == "disputed"
    assert "tentative" in driver.find_element("id", "status").text
    permalink = driver.find_element("id", "permalink").get_attribute("href")
    with service.open(served.db, create=False) as lg:
        head = lg.basis()["position"]
    assert f"known_at=%40{head}" in permalink
    assert visit(driver, served, permalink[len(served.base) :]) == []
    assert status() == "disputed"


def test_a_hostile_quote_is_shown_as_text(driver: Any, served: Server) -> None:
    assert visit(driver, served, f"/claims/{HOSTILE}") == []
    assert driver.title != "pwned"
    quote = driver.find_element("css selector", "blockquote.quote")
    assert "<script>document.title='pwned'</script>" in quote.text
    assert "<img src=x onerror=\"document.title='pwned'\">" in quote.text
    assert "\\u{202E}evil\\u{202C}" in quote.text  # the override is shown, not obeyed
    assert quote.find_elements("css selector", "img, script") == []
    assert driver.find_elements("css selector", "main script, main img") == []
    source_links = [
        a.get_attribute("href") or "" for a in driver.find_elements("css selector", ".source a")
    ]
    assert not any(link.startswith("javascript:") for link in source_links)


def test_errors_methods_and_headers_over_http(served: Server) -> None:
    status, headers, body = served.get("/api/claims/no-such-claim")
    assert status == 404 and "no-such-claim" in json.loads(body)["error"]
    status, _, body = served.get("/claims/no-such-claim")
    assert status == 404 and b"Error: " in body
    status, _, body = served.get(f"/api/claims/{A}?known_at=@99999")
    assert status == 400 and "beyond the head" in json.loads(body)["error"]
    for method in ("POST", "PUT", "DELETE"):
        assert served.get("/", method=method)[0] == 405
    status, headers, _ = served.get("/")
    policy = {k.lower(): v for k, v in headers.items()}["content-security-policy"]
    assert "default-src 'self'" in policy


def test_the_json_twins_over_http_equal_the_service(served: Server) -> None:
    with service.open(served.db, create=False) as lg:
        expected = {
            f"/api/claims/{A}?as_of=2023-11-10": lg.show(A, as_of="2023-11-10"),
            "/api/claims": list(lg.list()),
            f"/api/claims/{A}/why": lg.why(A),
            f"/api/claims/{A}/history": lg.history(A),
            "/api/search?q=wagner": lg.search("wagner"),
        }
    for path, answer in expected.items():
        status, _, body = served.get(path)
        assert status == 200 and json.loads(body) == json.loads(json.dumps(answer)), path


def _outside_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET: nothing is sent
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_the_server_says_where_it_listens_and_binds_only_loopback(tmp_path: Path) -> None:
    _browser_or_skip()
    db = str(tmp_path / "ledger.db")
    seed(db)
    server = Server(db)
    try:
        outside = _outside_address()
        if outside is not None:
            with (
                pytest.raises(OSError),
                socket.create_connection((outside, server.port), timeout=2),
            ):
                pass
    finally:
        err = server.stop()
    assert f"http://127.0.0.1:{server.port}/" in err and db in err


def test_the_server_never_prints_the_password(pg_url: str) -> None:
    _browser_or_skip()
    seed(pg_url)
    with_password = pg_url.replace("://postgres@", "://postgres:s3cr3t-pw@", 1)
    assert "s3cr3t-pw" in with_password
    server = Server(with_password)
    err = server.stop()
    assert "s3cr3t-pw" not in err and f":{server.port}/" in err
