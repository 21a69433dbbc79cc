"""The derivation sheet's page in AppTest: which program it derives, blanks by hand first, reached from the Lesson.

By hand, for z = x*y + y at x = 2, y = 3: dz/dx = y * dz/da = 3 * 1 = 3. For z = x**2 + x at x = 3: dz/dx = 2x + 1 = 7.
"""

import json

from apptest_helpers import open_dashboard
from streamlit.testing.v1 import AppTest

from lab.lesson import stations
from lab.views import sheet

PAGE = "app_pages/sheet.py"
BIG = "x = 2\ny = 3\na = x*y\nb = a*x\nc = b*y\nd = c*a\nz = d*b + x*y"  # 9 nodes


def sheet_html(at: AppTest) -> str:
    (found,) = [e.proto.body for e in at.get("html") if 'class="sheet"' in e.proto.body]
    return found


def test_by_hand_first_the_sheet_is_the_lessons_derivation_with_blanks_and_a_download():
    at = open_dashboard(PAGE)
    assert at.title[0].value == "The derivation, by hand"
    page = sheet_html(at)
    assert "<code>z = x*y + y</code> at x = 2, y = 3" in page
    assert f"∂z/∂x = y · ∂z/∂a = {sheet.BLANK} · {sheet.BLANK} = {sheet.BLANK}" in page
    assert "By hand first" in at.info[0].value
    (download,) = at.get("download_button")
    assert "Download the sheet" in download.proto.label


def test_with_the_numbers_shown_each_step_has_its_numbers():
    at = open_dashboard(PAGE, first="0")
    page = sheet_html(at)
    assert "∂z/∂x = y · ∂z/∂a = 3 · 1 = 3" in page
    assert "∂z/∂y = (via z) 1 + (via a) 2 = 3" in page
    assert not at.info


def test_the_learners_small_program_can_be_derived_instead_of_the_example():
    at = open_dashboard(PAGE, first="0", expr="x = 3\nz = x**2 + x")
    assert "<code>z = x*y + y</code>" in sheet_html(at)  # the example first
    at.segmented_control(key="sheet:program").set_value("yours").run()
    assert not at.exception
    page = sheet_html(at)
    assert "<code>z = x**2 + x</code> at x = 3" in page
    assert "∂z/∂x = 7" in page


def test_a_program_too_big_for_one_page_says_why_and_offers_the_example():
    at = open_dashboard(PAGE, first="0", expr=BIG)
    assert "9 nodes" in at.info[0].value and f"up to {sheet.MAX_SHEET_NODES} nodes" in at.info[0].value
    assert not at.get("segmented_control")
    assert "<code>z = x*y + y</code> at x = 2, y = 3" in sheet_html(at)


def station(at: AppTest, key: str) -> None:
    """Open the Lesson's station by its key (its number is its place in the list, which may change)."""
    at.segmented_control(key="lesson:station").set_value([s.key for s in stations.STATIONS].index(key)).run()
    assert not at.exception


def sheet_links(at: AppTest) -> list[str]:
    return [e.proto.page for e in at.get("page_link") if e.proto.label.startswith("The derivation on one page")]


def test_the_lesson_opens_it_from_by_hand_and_from_the_rules_once_they_are_worked_out():
    at = open_dashboard()
    station(at, "by_hand")
    assert sheet_links(at) == ["sheet"]
    station(at, "rules")  # its * rule is a blank until worked out, and the sheet writes it out
    assert sheet_links(at) == []
    at = open_dashboard(ans=json.dumps({"station:rules": "other"}))
    station(at, "rules")
    assert sheet_links(at) == ["sheet"]
