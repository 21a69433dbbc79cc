"""Browser tests: the real Streamlit server driven by Debian's Chromium through Playwright.

One server per worker (a free port on 127.0.0.1), one browser context per worker and in it one page kept from
test to test (pytest-playwright's `page`; each test opens its own address there: its own Streamlit session).
Helpers wait for Streamlit to be idle after every interaction and read what only the browser shows: the
diagram's SVG and the canvas tables' hidden cells.
A failing test leaves a screenshot in test-results/.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

REPO = Path(__file__).resolve().parents[2]
# The tests' browser: Debian's build of Chromium's headless shell (Chromium's "old" headless mode, the one
# Playwright itself runs for headless Chromium): the same Blink as the full browser without its window machinery,
# so a test costs less CPU (a walk of every page with two programs: 15 CPU-s against 18 in the full browser).
CHROMIUM = "/usr/bin/chromium-headless-shell"
CHROMIUM_PACKAGE = "chromium-headless-shell"
# The full browser, in which the benchmarks time what a learner waits for.
FULL_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO / "test-results"
SERVER_START_TIMEOUT = 60.0

APP = '[data-testid="stApp"]'
IDLE = f'{APP}[data-test-script-state="notRunning"]'
DIAGRAM_NODES = '[data-testid="stGraphVizChart"] svg g.node'
# idle, and everything drawn: no element greyed out from the previous run, no placeholder skeleton
# (Streamlit shows skeletons until an element's lazily loaded code has arrived, after the run ended)
HEADER_HEIGHT = 35  # Streamlit's data grid: header and row height in pixels
ROW_HEIGHT = 35
# (It also notes when it was last seen true: wait_idle counts only the runs that started after that.)
SETTLED = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const settled = app !== null
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && !document.querySelector('[data-stale="true"]')
    && !document.querySelector('[data-testid="stSkeleton"]');
  if (settled) window.__settledAt = performance.timeOrigin + performance.now();
  return settled;
}"""


# -- the browser ---------------------------------------------------------------------------


def chromium_missing_reason(path: str = CHROMIUM, package: str = CHROMIUM_PACKAGE) -> str | None:
    if Path(path).exists():
        return None
    return f"Debian's Chromium is not installed at {path} (apt-get install {package})"


@pytest.fixture(scope="session", autouse=True)
def _chromium_present() -> None:
    """No Chromium: a skip on a laptop, a failure in CI (where a skip would hide that nothing ran)."""
    reason = chromium_missing_reason()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright's defaults (e.g. --headed, --slowmo) plus Debian's Chromium and its flags."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(app_url: str) -> str:
    """pytest-playwright's base URL is the session's server, so `page.goto("/by-hand")` works too."""
    return app_url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}}


# Notes, in the page itself, when each of the app's script runs starts (a MutationObserver on Streamlit's run-state
# attribute) and when the test last clicked or typed, in this page or in a frame of it (the code editor's).
# wait_idle counts a run that started after the interaction even when it started and ended before wait_idle was
# called, or between two of Playwright's polls. On every context's pages. Times are absolute (a frame's clock
# starts when the frame does).
WATCH_RUNS = """
(() => {
  const now = () => performance.timeOrigin + performance.now();
  let top = window;
  try { top = window.top; top.document; } catch (e) { top = window; }
  for (const type of ['pointerdown', 'keydown', 'input', 'change'])
    window.addEventListener(type, () => { top.__lastInput = now(); }, true);
  if (window !== window.top) return;
  window.__runStarts = [];
  new MutationObserver(changes => {
    for (const c of changes)
      if (c.target.getAttribute('data-test-script-state') === 'running' && c.oldValue !== 'running')
        window.__runStarts.push(now());
  }).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                        attributeFilter: ['data-test-script-state']});
})();
"""


def new_browser_context(browser: Browser, **kwargs) -> BrowserContext:
    """Another browser (a learner of their own): a fresh context whose pages note their runs and the test's clicks
    for wait_idle (WATCH_RUNS)."""
    context = browser.new_context(**kwargs)
    context.add_init_script(script=WATCH_RUNS)
    return context


@pytest.fixture(scope="session")
def _shared_context(browser: Browser, browser_context_args: dict) -> Iterator[BrowserContext]:
    """One context per worker for the tests' pages: a new page is a new Streamlit session, and the app's
    scripts, already in the context's cache, are not fetched and compiled again for every test."""
    context = new_browser_context(browser, **browser_context_args)
    yield context
    context.close()


_KEPT: dict[str, Page] = {}  # the shared context's page, kept from test to test (see `page`)


@pytest.fixture
def context(
    request: pytest.FixtureRequest, browser: Browser, browser_context_args: dict, _shared_context: BrowserContext
) -> Iterator[BrowserContext]:
    """The `page` fixture's context: the shared one (after each test its page emptied and every other page
    closed, its cookies, permissions, routes and offline state cleared), or a fresh one for a test marked
    `own_context` (one that routes or cuts the network)."""
    if request.node.get_closest_marker("own_context"):
        fresh = new_browser_context(browser, **browser_context_args)
        yield fresh
        fresh.close()
        return
    yield _shared_context
    kept = _KEPT.get("page")
    for page in list(_shared_context.pages):
        if page is not kept:
            page.close()
    if kept is not None and not kept.is_closed():
        try:  # the test's Streamlit session ends here, and the window is as a new page's
            # (Streamlit keeps a sidebar opened or closed by hand in the origin's storage)
            kept.evaluate("() => { try { localStorage.clear(); sessionStorage.clear(); } catch (e) {} }")
            kept.unroute_all()
            kept.goto("about:blank")
            kept.set_viewport_size(browser_context_args["viewport"])
        except Exception:  # a page that cannot be emptied is not kept
            _KEPT.pop("page", None)
            with contextlib.suppress(Exception):
                kept.close()
    _shared_context.clear_cookies()
    _shared_context.clear_permissions()
    _shared_context.set_offline(False)
    _shared_context.unroute_all()


@pytest.fixture
def page(context: BrowserContext, _shared_context: BrowserContext) -> Page:
    """pytest-playwright's `page`: in the shared context, one page kept from test to test (a new page costs a new
    renderer process: ~0.6 CPU-s, a third of opening the app), emptied after each test. Each test opens its own
    address in it, so it still has its own Streamlit session. A test adds no listener to it (none does: an
    extra browser of a test's own is new_browser_context's)."""
    if context is not _shared_context:
        return context.new_page()
    kept = _KEPT.get("page")
    if kept is None or kept.is_closed():
        kept = _KEPT["page"] = context.new_page()
    return kept


# -- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "dashboard.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


def new_room_database() -> str:
    """The room database a test server is started with: the one the environment names, or a new SQLite file
    (servers of parallel workers share nothing)."""
    named = os.environ.get("ROOM_DATABASE_URL")
    return named or f"sqlite:///{tempfile.mkdtemp(prefix='backprop-lab-room-')}/room.sqlite"


def start_server(
    timeout: float = SERVER_START_TIMEOUT, room_database: str | None = None
) -> tuple[subprocess.Popen, str, Path]:
    """Start `streamlit run dashboard.py` on a free port (with `room_database`, else new_room_database());
    return (process, base URL, log file).

    Raises RuntimeError with the server's log if it is not healthy within `timeout` seconds.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkstemp(prefix="backprop-lab-server-", suffix=".log")[1])
    env = {**os.environ, "ROOM_DATABASE_URL": room_database or new_room_database()}
    with log.open("wb") as out:
        process = subprocess.Popen(server_command(port), cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if _healthy(url):
            return process, url, log
        time.sleep(0.25)
    stop_server(process)
    raise RuntimeError(
        f"The Streamlit server did not answer 'ok' on {url}/_stcore/health within {timeout:.0f} s "
        f"(exit code {process.returncode}). Its log:\n{log.read_text(errors='replace')}"
    )


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def app_server(_chromium_present: None) -> Iterator[tuple[str, str]]:
    """One real server for the whole session (of a worker): (its base URL, its room database's URL)."""
    database = new_room_database()
    try:
        process, url, log = start_server(room_database=database)
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield url, database
    finally:
        stop_server(process)
        log.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def app_url(app_server: tuple[str, str]) -> str:
    """The base URL of the session's server."""
    return app_server[0]


def run_async(coroutine) -> object:
    """Run a coroutine to its end (simulated learners over the websocket) on a thread of its own: in a worker
    that has driven Chromium, Playwright's sync API holds an event loop on the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


# -- screenshots of failures -------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
        if page is not None and not page.is_closed():
            SCREENSHOTS.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1])
            path = SCREENSHOTS / f"{name}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
                report.sections.append(("screenshot", str(path)))
            except Exception as e:  # a screenshot must never hide the real failure
                report.sections.append(("screenshot", f"could not be taken: {e}"))


# -- helpers the tests share -------------------------------------------------------------------


def wait_idle(page: Page, started_within: float = 0.4, timeout: float = 30.0) -> None:
    """Wait until the script has run after an interaction and the app is idle again.

    Streamlit starts a rerun a moment after a click or a typed value is sent, so first give it up to
    `started_within` seconds to start (otherwise a stale idle state would be read): a run has started when the
    app says it is running, or when the page's own record (WATCH_RUNS) holds a run that started after the last
    click or keystroke and after the app was last seen settled. So a run too short for a poll to see counts, and
    so does one that began and ended while the interaction was still returning; a late run of an earlier
    interaction does not, unless it starts after this one's click. Then wait for the idle state and for no
    element to be stale (greyed out from the previous run). An interaction that starts no run costs
    `started_within`.

    Not seen: a click that app/keep_typed.js holds back while a box's typed text is sent, and replays once that
    run is over; and the ticks of a fragment on a timer (the room's). After those, wait for what the click shows
    (a retrying `expect`), as the tests do.
    """
    if started_within > 0:  # (Playwright's timeout 0 means no timeout at all)
        with contextlib.suppress(PlaywrightTimeoutError):  # no run: the interaction changed nothing on the server
            page.wait_for_function(RUN_STARTED, polling="raf", timeout=started_within * 1000)
    page.locator(IDLE).wait_for(state="attached", timeout=timeout * 1000)
    page.wait_for_function(SETTLED, timeout=timeout * 1000)


RUN_STARTED = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const after = Math.max(window.__lastInput || 0, window.__settledAt || 0);
  return (window.__runStarts || []).some(t => t > after)
    || (app !== null && app.getAttribute('data-test-script-state') !== 'notRunning');
}"""


def open_app(page: Page, base: str, query: str = "", path: str = "") -> None:
    """Open the dashboard (optionally at a page's `path`, like "build", with a query like `expr=...`) and wait
    for the first run. Without a path it opens the default page, the Lesson."""
    if query and not query.startswith("?"):
        query = "?" + query
    page.goto(f"{base}/{path}{query}")
    # a server's first run imports the whole app: slow on a busy machine, where every worker has its own server
    page.wait_for_function(SETTLED, timeout=60_000)


def assert_no_traceback(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert "Traceback" not in page.locator(APP).inner_text(), "the page shows a Python traceback"


def diagram_nodes(page: Page) -> list[str]:
    """The text of every node of the graphviz diagram: a record reads 'z data 9 grad 1', an operation '+'.

    Only the drawn text counts (each node's SVG <title> holds its DOT id, like v3, and is skipped).
    """
    return page.locator(DIAGRAM_NODES).evaluate_all(
        "nodes => nodes.map(n => [...n.querySelectorAll('text')].map(t => t.textContent.trim()).join(' '))"
    )


def marked_nodes(page: Page, mark: str) -> list[str]:
    """Names of the diagram's values that carry the class `mark` (like "mismatch" or "current")."""
    texts = page.locator(f"{DIAGRAM_NODES}.{mark}").evaluate_all(
        "nodes => nodes.map(n => [...n.querySelectorAll('text')].map(t => t.textContent.trim()).join(' '))"
    )
    return [text.split()[0] for text in texts if text.split()]


def diagram_record(page: Page, name: str) -> str | None:
    """The diagram's record of the value called `name` ('z data 9 grad 1'), or None if it isn't drawn."""
    for text in diagram_nodes(page):
        words = text.split()
        if words and words[0] == name and "data" in words:
            return text
    return None


def wait_for_record(page: Page, name: str, *parts: str, timeout: float = 15.0) -> str:
    """Wait until the diagram's record of `name` contains all of `parts` (like 'data 9', 'grad 3')."""
    deadline = time.monotonic() + timeout
    record = None
    while time.monotonic() < deadline:
        record = diagram_record(page, name)
        if record is not None and all(part in record for part in parts):
            return record
        page.wait_for_timeout(100)
    raise AssertionError(
        f"the diagram's node {name!r} should show {parts}, but it shows {record!r}; nodes: {diagram_nodes(page)}"
    )


def glide_cells(page: Page, within: str = "") -> dict[tuple[int, int], str]:
    """The cells of a canvas table (st.dataframe / st.data_editor) as {(column, row): text}.

    Glide data grid draws on a canvas but keeps every cell's text in hidden elements with ids
    `glide-cell-<column>-<row>` for screen readers; row -1 is the header. `within` narrows to one
    table (a CSS selector of its container); by default all tables on the page are read.
    """
    root = page.locator(within) if within else page
    cells = root.locator('[id^="glide-cell-"]')
    cells.first.wait_for(state="attached", timeout=15_000)  # the grid fills its hidden cells after it is drawn
    pairs = cells.evaluate_all("cells => cells.map(c => [c.id, c.textContent])")
    found: dict[tuple[int, int], str] = {}
    for cell_id, text in pairs:
        match = re.fullmatch(r"glide-cell-(-?\d+)-(-?\d+)", cell_id)
        if match:
            found[int(match[1]), int(match[2])] = " ".join((text or "").split())
    return found


def glide_rows(page: Page, within: str = "") -> list[list[str]]:
    """The body rows of a canvas table, each a list of cell texts in column order."""
    cells = glide_cells(page, within)
    rows: dict[int, dict[int, str]] = {}
    for (column, row), text in cells.items():
        if row >= 0:
            rows.setdefault(row, {})[column] = text
    return [[columns[c] for c in sorted(columns)] for _, columns in sorted(rows.items())]


def wait_for_cell(
    page: Page, column: int, row: int, contains: str, within: str = "", timeout: float = 15.0
) -> list[str]:
    """Wait until cell (column, row) of a canvas table contains `contains`; return that row's cells."""
    deadline = time.monotonic() + timeout
    rows: list[list[str]] = []
    while time.monotonic() < deadline:
        rows = glide_rows(page, within)
        if row < len(rows) and column < len(rows[row]) and contains in rows[row][column]:
            return rows[row]
        page.wait_for_timeout(100)
    shown = rows[row] if row < len(rows) else None
    raise AssertionError(f"cell ({column}, {row}) of the table should contain {contains!r}; its row is {shown}")


def type_in_editor_cell(page: Page, column: int, row: int, text: str, within: str = "") -> None:
    """Type `text` into a cell of an st.data_editor, as a learner does with the keyboard.

    The grid is a canvas and its hidden cells have no position on screen, so: click the first
    column of the first row (just under the header), walk to the cell with the arrow keys (each step
    checked on the hidden cells' aria-selected), open the editor with Enter, fill it, Enter, wait.
    """
    root = page.locator(within) if within else page
    grid = root.locator('[data-testid="stDataFrame"]').filter(has=page.locator(f"#glide-cell-{column}-{row}")).first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    if box is None:
        raise AssertionError("the table is not on screen")
    page.mouse.click(box["x"] + 12, box["y"] + HEADER_HEIGHT + ROW_HEIGHT / 2)
    expect(grid.locator("#glide-cell-0-0")).to_have_attribute("aria-selected", "true")
    for _ in range(row):
        page.keyboard.press("ArrowDown")
    for _ in range(column):
        page.keyboard.press("ArrowRight")
    expect(grid.locator(f"#glide-cell-{column}-{row}")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    editor = page.locator(".gdg-input").first
    expect(editor).to_be_focused(timeout=5_000)
    editor.fill(text)
    editor.press("Enter")
    wait_idle(page)


def sidebar_number_input(page: Page, label: str):
    """The sidebar's number input of variable `label`."""
    return page.get_by_test_id("stSidebar").get_by_label(label, exact=True)


def set_sidebar_number(page: Page, label: str, value: float | str) -> None:
    box = sidebar_number_input(page, label)
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)


def plain_table_row(page: Page, key: str, node: str):
    """The row of `node` in the plain table `key` (app.ui.plain_table: a Markdown table, node first)."""
    table = page.locator(f'[class*="st-key-plain_table_{key}"] table')
    return table.locator("tbody tr").filter(has=page.locator("td:first-child", has_text=re.compile(rf"^{node}$")))


def open_share_box(page: Page) -> None:
    """Open the sidebar's "Link, save, load" box (its link, download and uploader are drawn only while open)."""
    sidebar = page.get_by_test_id("stSidebar")
    if not sidebar.get_by_role("button", name="Download my work").count():
        sidebar.get_by_text("Link, save, load").click()
        wait_idle(page, started_within=1.0)
    expect(sidebar.get_by_role("button", name="Download my work")).to_be_visible()


# The top bar's short titles (all nine fit at 1280 px) of the pages whose heading is longer.
NAV_TITLES = {
    "Watch gradients flow": "Watch it flow",
    "Why each rule is right": "Rules",
    "Write the rules yourself": "Your rules",
}


def go_to_page(page: Page, title: str) -> None:
    """Switch pages with the top navigation link of that page (its heading or its short title; a client-side
    switch: same session)."""
    title = NAV_TITLES.get(title, title)
    link = page.get_by_test_id("stTopNavLink").filter(has_text=re.compile(rf"^{re.escape(title)}$"))
    expect(link).to_have_count(1)
    link.click()
    wait_idle(page, started_within=1.0)


def pick_option(page: Page, label: str, option: str, within: str = '[data-testid="stMain"]') -> None:
    """Choose `option` in the selectbox labelled `label`: open it, type to filter, click the option."""
    box = page.locator(within).get_by_label(label, exact=True)
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option).first.click()
    wait_idle(page)


def url_expr(page: Page) -> str | None:
    """The program the address bar carries (`expr=`), decoded."""
    from urllib.parse import parse_qs, urlparse

    values = parse_qs(urlparse(page.url).query).get("expr")
    return values[0] if values else None
