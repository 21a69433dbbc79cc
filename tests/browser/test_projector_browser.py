"""Projector: at 1280x720 every page's diagram is readable and never cut off, normal and presenter view.

Measured in Chromium on the drawn SVG: a text's size on screen is its font size times the scale the
browser draws it at (its getBoundingClientRect against its getBBox); a node is cut off when it lies
outside its diagram's box and the box cannot scroll to it, or when the box reaches past the page's
column or the window. Bars: 13 px without presenter view (the lesson's example), 18 px with it.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from lab.model.analysis import analyse
from lab.model.diagram import drawn_node_count
from lab.model.presets import PRESETS

from .conftest import DIAGRAM_NODES, NAV_TITLES, assert_no_traceback, go_to_page, open_app, plain_table_row, wait_idle

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1280, "height": 720}
LARGE = {"width": 1920, "height": 1080}
PAGES = [
    "Build and see",
    "By hand",
    "Watch gradients flow",
    "Why each rule is right",
    "Write the rules yourself",
    "Bug lab",
]
PRESET_NAMES = ["lesson", "micrograd"]  # the example, and the biggest preset
NAV_PAGES = [NAV_TITLES.get(title, title) for title in PAGES]  # as the top bar names them
NORMAL_MIN_PX, PRESENTER_MIN_PX = 13, 18

# Per diagram on the page: the smallest text on screen (px), the nodes cut off, and the box's fit.
MEASURE = """() => {
  const main = document.querySelector('[data-testid="stMainBlockContainer"]').getBoundingClientRect();
  return [...document.querySelectorAll('[data-testid="stGraphVizChart"]')].map(chart => {
    const svg = chart.querySelector('svg');
    let minPx = Infinity;
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect(), bb = t.getBBox();
      if (bb.height > 0) minPx = Math.min(minPx, parseFloat(t.getAttribute('font-size')) * r.height / bb.height);
    }
    let box = chart.parentElement;
    const clips = ['auto', 'scroll', 'hidden', 'clip'], scrolls = ['auto', 'scroll'];
    while (box && !clips.includes(getComputedStyle(box).overflowX)) box = box.parentElement;
    const b = box.getBoundingClientRect(), style = getComputedStyle(box);
    const scrollsX = scrolls.includes(style.overflowX), scrollsY = scrolls.includes(style.overflowY);
    const left = b.left - box.scrollLeft + box.clientLeft, top = b.top - box.scrollTop + box.clientTop;
    const right = scrollsX ? left + box.scrollWidth : b.right, bottom = scrollsY ? top + box.scrollHeight : b.bottom;
    const cut = [], hidden = [];
    for (const node of svg.querySelectorAll('g.node')) {
      const r = node.getBoundingClientRect();
      if (r.left < left - 1 || r.right > right + 1 || r.top < top - 1 || r.bottom > bottom + 1)
        cut.push(node.querySelector('title').textContent);
      if (r.left < b.left - 1 || r.right > b.right + 1)  // seen only after scrolling sideways in the box
        hidden.push(node.querySelector('title').textContent);
    }
    const s = svg.getBoundingClientRect();
    return {
      minPx, cut, hidden, nodes: svg.querySelectorAll('g.node').length,
      ownBox: /st-key-\\S*_box/.test(box.className),
      boxInColumn: b.left >= main.left - 1 && b.right <= Math.min(main.right, window.innerWidth) + 1,
      slack: b.height - s.height, scrollsInside: box.scrollHeight > box.clientHeight + 1,
    };
  });
}"""


def presenter_switch(page: Page):
    return page.get_by_test_id("stSidebar").get_by_role("switch", name="Presenter view")


def turn_presenter_on(page: Page) -> None:
    page.get_by_test_id("stSidebar").get_by_text("Presenter view").click()
    wait_idle(page)
    expect(presenter_switch(page)).to_be_checked()


COLLAPSED_JS = "s => s.getAttribute('aria-expanded') === 'false' || s.getBoundingClientRect().right <= 1"


def sidebar_collapsed(page: Page) -> bool:
    return page.get_by_test_id("stSidebar").evaluate(COLLAPSED_JS)


def wait_for_sidebar(page: Page, collapsed: bool, timeout: float = 10_000) -> None:
    """Until the sidebar has slid away (or back) and stopped moving."""
    wanted = "" if collapsed else "!"
    sidebar = "document.querySelector('[data-testid=stSidebar]')"
    page.wait_for_function(
        f"() => {{ const s = {sidebar}; return s && {wanted}({COLLAPSED_JS})(s); }}", timeout=timeout
    )
    settled(page, f"() => JSON.stringify({sidebar}.getBoundingClientRect())")


def settled(page: Page, measure: str, frames: int = 3, tries: int = 200):
    """`measure` (a JavaScript function) once it gives the same answer `frames` animation frames running:
    a drawing or a slide that has finished, not a fixed wait."""
    last, same = None, 0
    for _ in range(tries):
        now = page.evaluate(measure)
        same = same + 1 if now == last else 0
        if same >= frames:
            return now
        last = now
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    raise AssertionError(f"still changing after {tries} frames: {last}")


# True once every diagram's drawing has kept its size and place for two polls in a row: the chart sizes itself
# right after it is drawn.
DIAGRAMS_SETTLED = """() => {
  const svgs = [...document.querySelectorAll('[data-testid="stGraphVizChart"] svg')];
  if (!svgs.length) return false;
  const now = svgs.map(s => { const r = s.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; });
  const key = JSON.stringify(now), same = window.__diagramsSeen === key;
  window.__diagramsSeen = key;
  return same && now.every(r => r[2] > 0);
}"""


def wait_diagrams_settled(page: Page) -> None:
    page.locator(DIAGRAM_NODES).first.wait_for(state="visible", timeout=30_000)
    page.wait_for_function(DIAGRAMS_SETTLED, polling=100, timeout=10_000)


def check_diagrams(page: Page, where: str, min_px: float | None, whole: bool = False) -> list[dict]:
    wait_diagrams_settled(page)
    found = settled(page, MEASURE, frames=1)  # the chart sizes itself right after it is drawn: measure it still
    assert found, f"{where}: no diagram"
    for d in found:
        assert d["nodes"] > 0, f"{where}: the diagram is empty"
        assert d["ownBox"], f"{where}: the diagram scrolls with something else than its own box"
        assert d["boxInColumn"], f"{where}: the diagram's box reaches past the page's column"
        assert not d["cut"], f"{where}: nodes cut off: {d['cut']}"
        assert not (whole and d["hidden"]), f"{where}: seen only after scrolling sideways: {d['hidden']}"
        slack = d["slack"]
        assert slack <= 48 or d["scrollsInside"], f"{where}: the box is {slack:.0f} px taller than the drawing"
        if min_px is not None:
            assert d["minPx"] >= min_px, f"{where}: text {d['minPx']:.1f} px on screen, below {min_px} px"
    width = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert width <= 0, f"{where}: the page is {width} px wider than the window"
    return found


@pytest.fixture
def small_screen(page: Page) -> Page:
    page.set_viewport_size(VIEWPORT)
    return page


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_presenter_view_collapses_the_sidebar_and_draws_text_at_18_px(small_screen: Page, app_url: str, preset):
    page = small_screen
    open_app(page, app_url, "expr=" + quote(PRESETS[preset].program), path="build")
    assert not sidebar_collapsed(page)
    turn_presenter_on(page)
    wait_for_sidebar(page, collapsed=True)  # presenter view collapses the sidebar (else this times out)
    for title in PAGES:
        go_to_page(page, title)
        if title == "Why each rule is right":
            assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
            continue
        found = check_diagrams(page, f"presenter, {title}, {preset}", PRESENTER_MIN_PX)
        if title in ("Build and see", "By hand", "Watch gradients flow"):
            # the full width: the sidebar is out of the way and the diagram's box spans the main column
            box = page.locator('[class*="st-key-diagram_box"]').first.bounding_box()
            assert box is not None and box["width"] >= 0.9 * VIEWPORT["width"], (title, box, found)
    assert_no_traceback(page)


def test_presenter_view_shows_the_step_sentence_and_the_diagram_on_one_screen(small_screen: Page, app_url: str):
    page = small_screen
    open_app(page, app_url, path="build")
    turn_presenter_on(page)
    go_to_page(page, "Watch gradients flow")
    page.get_by_role("button", name="Step").click()
    wait_idle(page)
    page.evaluate("window.scrollTo(0, 0); document.querySelector('[data-testid=stMain]').scrollTo(0, 0)")
    settled(page, "() => document.querySelector('[data-testid=stMain]').scrollTop")
    sentence = page.get_by_test_id("flow-sentence").bounding_box()
    box = page.locator('[class*="st-key-diagram_box"]').first.bounding_box()
    assert sentence is not None and box is not None
    assert sentence["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"], (sentence, box)


def test_presenter_view_turned_off_again_brings_back_the_normal_layout(small_screen: Page, app_url: str):
    page = small_screen
    open_app(page, app_url, path="build")
    turn_presenter_on(page)
    # the table in presenter view is plain text, each cell as the data grid shows it (a lone * is no bullet)
    row = plain_table_row(page, "values", "a")
    expect(row.locator("td")).to_have_text(["a", "*", "x * y", "6", "1", "1"])  # a = x*y = 2*3, dz/da = 1, used once
    wait_for_sidebar(page, collapsed=True)  # (a click while it slides away can miss the arrow)
    page.get_by_test_id("stExpandSidebarButton").click()  # the sidebar's arrow opens it again
    wait_for_sidebar(page, collapsed=False)
    presenter_switch(page).wait_for(state="visible")
    page.get_by_test_id("stSidebar").get_by_text("Presenter view").click()
    wait_idle(page)
    expect(presenter_switch(page)).not_to_be_checked()
    assert not sidebar_collapsed(page)
    # the table is beside the diagram again (on its right)
    table = page.get_by_test_id("stDataFrame").first.bounding_box()
    box = page.locator('[class*="st-key-diagram_box"]').first.bounding_box()
    assert table is not None and box is not None and box["x"] + box["width"] <= table["x"]
    assert abs(table["y"] - box["y"]) < 5


def test_the_plain_table_shows_names_as_typed_even_those_markdown_would_style(small_screen: Page, app_url: str):
    # z = _a_ * b__c = 2 * 3 = 6; dz/d_a_ = b__c = 3, dz/db__c = _a_ = 2 (by hand). Unescaped, Markdown would
    # show _a_ as an italic "a".
    page = small_screen
    open_app(page, app_url, "present=1&expr=" + quote("_a_ = 2\nb__c = 3\nz = _a_ * b__c"), path="build")
    expect(plain_table_row(page, "values", "_a_").locator("td")).to_have_text(["_a_", "", "_a_", "2", "3", "1"])
    expect(plain_table_row(page, "values", "z").locator("td")).to_have_text(["z", "*", "_a_ * b__c", "6", "1", "0"])


def unrolled_loop(lines: int) -> str:
    steps = ["h0 = x*w"] + [f"h{k} = h{k - 1}*w + x" for k in range(1, lines)]
    return "\n".join(["x = 0.5", "w = -1.2", *steps])


def test_an_unrolled_loop_is_drawn_as_a_straight_chain_with_x_and_w_again_beside_each_use(
    small_screen: Page, app_url: str
):
    page = small_screen
    program = unrolled_loop(30)
    expected = drawn_node_count(analyse(program))
    open_app(page, app_url, "expr=" + quote(program), path="build")
    page.wait_for_function(f"() => document.querySelectorAll('{DIAGRAM_NODES}').length === {expected}", timeout=90_000)
    copies = page.locator(f"{DIAGRAM_NODES}.copy")
    assert copies.count() >= 50  # x and w beside (nearly) every one of the 30 lines
    tips = copies.evaluate_all(
        "ns => ns.map(n => n.querySelector('a').getAttributeNS('http://www.w3.org/1999/xlink', 'title'))"
    )
    assert set(tips) == {"x (used again)", "w (used again)"}
    # a straight chain: about as tall as a value, its copy and w's first use stacked (not a staircase)
    height_pt = float(page.locator('[data-testid="stGraphVizChart"] svg').first.get_attribute("height").rstrip("pt"))
    assert height_pt < 200, f"the chain's drawing is {height_pt} pt tall"
    check_diagrams(page, "Build and see, a 30-line unrolled loop", None)

    # forward pass, node 2 is w: its own box and every copy of it is "this step"
    go_to_page(page, "Watch gradients flow")
    page.get_by_test_id("stMain").get_by_text("Forward pass: one node a step").click()
    wait_idle(page)
    page.get_by_role("button", name="Step", exact=True).click()
    wait_idle(page)
    page.wait_for_function(f"() => document.querySelectorAll('{DIAGRAM_NODES}').length === {expected}", timeout=90_000)
    current = page.locator(f"{DIAGRAM_NODES}.current").evaluate_all(
        "ns => ns.map(n => n.querySelector('text').textContent.trim())"
    )
    assert len(current) >= 25 and set(current) == {"w"}, current
    assert_no_traceback(page)


# -- the projector rule: the whole diagram in view, or an evident way to see the rest ----------------------

NEURON = "x1 = 2\nx2 = 0\nw1 = -3\nw2 = 1\nb = 6.8813735870195432\no = tanh(w1*x1 + w2*x2 + b)"
LONG_CHAIN = "x = 0.5\nh0 = tanh(x)\n" + "\n".join(f"h{k} = tanh(h{k - 1})" for k in range(1, 12))
PROGRAMS = {
    "lesson": PRESETS["lesson"].program,
    "neuron": NEURON,  # ~1,050 px wide at its smallest scale: wider than the main column at 1280
    "micrograd": PRESETS["micrograd"].program,
    "long chain": LONG_CHAIN,
}

# Per diagram: is its output's own box (not a copy) inside what the diagram's box shows now, and if not, is a
# note that says how to see the rest visible, next to the box, and does the box scroll that way?
OUTPUT_SEEN = """() => [...document.querySelectorAll('[data-testid="stGraphVizChart"]')].map(chart => {
  let box = chart.parentElement;
  while (box && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
  const b = box.getBoundingClientRect();
  const out = chart.querySelector('svg g.node.output:not(.copy)');
  const o = out ? out.getBoundingClientRect() : null;
  const seen = o !== null && o.left >= b.left - 1 && o.right <= b.right + 1 && o.top >= b.top - 1
    && o.bottom <= b.bottom + 1;
  const frame = box.closest('[class*="_frame"]');
  const notes = frame ? [...frame.querySelectorAll('.diagram-scroll-note')].filter(n => {
    const r = n.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(n).visibility !== 'hidden';
  }) : [];
  return {
    output: out ? out.querySelector('title').textContent : null, seen,
    note: notes.map(n => n.textContent).join(' '),
    scrollsX: box.scrollWidth > box.clientWidth + 1, scrollsY: box.scrollHeight > box.clientHeight + 1,
  };
})"""


def top_bar_pages(page: Page) -> list[str]:
    links = page.get_by_test_id("stTopNavLink")
    return [links.nth(i).inner_text().strip() for i in range(links.count())]


def check_output_seen(page: Page, where: str, drawn: bool = False) -> int:
    """Each diagram on the page shows its output, or a note beside it says how to scroll to it; how many.
    `drawn`: the diagrams have just been measured still (check_diagrams), no need to wait for them again."""
    if not drawn:
        wait_diagrams_settled(page)
    found = page.evaluate(OUTPUT_SEEN)
    for d in found:
        if d["seen"]:
            continue
        assert d["note"], f"{where}: the output {d['output']} is out of its box's view and nothing says the box scrolls"
        assert "scroll" in d["note"] and (d["scrollsX"] or d["scrollsY"]), (where, d)
    return len(found)


@pytest.mark.parametrize("program", PROGRAMS)
def test_no_diagram_is_cut_off_each_shows_its_output_or_how_to_scroll_and_the_lesson_reads_at_13_px(
    small_screen: Page, app_url: str, program
):
    """Every page, at 1280x720 (nothing cut off, the lesson's example whole and at 13 px) and, on the same page
    resized, at 1920x1080 (the drawings are bigger there: each output still seen, or how to scroll said)."""
    page = small_screen
    open_app(page, app_url, "expr=" + quote(PROGRAMS[program]), path="build")
    checked = {"1280x720": 0, "1920x1080": 0}
    for title in top_bar_pages(page):  # every page, one walk for every check
        page.get_by_test_id("stTopNavLink").filter(has_text=title).first.click()
        wait_idle(page, started_within=1.0)
        where = f"{title}, {program}, 1280x720"
        if title == NAV_TITLES["Why each rule is right"]:  # no diagram on this page: nothing may stick out of it
            assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, where
            continue
        if page.locator(DIAGRAM_NODES).count() == 0:
            continue
        measured = title in NAV_PAGES
        if measured:  # the lesson's example is seen whole, without scrolling, on every page
            lesson = program == "lesson"
            check_diagrams(page, where, NORMAL_MIN_PX if lesson else None, whole=lesson)
        checked["1280x720"] += check_output_seen(page, where, drawn=measured)
        page.set_viewport_size(LARGE)
        checked["1920x1080"] += check_output_seen(page, f"{title}, {program}, 1920x1080")
        page.set_viewport_size(VIEWPORT)
    assert min(checked.values()) >= 4, f"{program}: diagrams found {checked}"
    assert_no_traceback(page)


def test_the_scroll_note_shows_only_when_the_diagram_is_wider_than_its_box(page: Page, app_url: str):
    """The lesson's example fits: no note. The neuron at 1280 does not: a note; at 1920 it fits: none."""
    for size, program, expected in (
        ((1280, 720), "lesson", False),
        ((1280, 720), "neuron", True),
        ((1920, 1080), "neuron", False),
    ):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        open_app(page, app_url, "expr=" + quote(PROGRAMS[program]), path="build")
        wait_diagrams_settled(page)
        (d,) = page.evaluate(OUTPUT_SEEN)
        assert bool(d["note"]) == expected and d["scrollsX"] == expected, (size, program, d)
        assert d["seen"] != expected, (size, program, d)
