"""What every page shares, seen without a browser (AppTest and plain functions): the sidebar's number boxes,
a typed program not built yet, the share link, one precision for numbers, hand entries in the address bar.

By hand: x = 2, y = 3, z = x*y + y = 9; with y = 4, z = 2*4 + 4 = 12. micrograd's README prints
g = 24.7041, dg/da = 138.8338 and dg/db = 645.5773 for its example (the "micrograd" preset).
"""

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyarrow as pa
import pytest
from apptest_helpers import open_dashboard, open_share_box
from streamlit.testing.v1 import AppTest

from app.state import link_address
from lab.model.analysis import analyse
from lab.views.by_hand import check, comparison_table, entries_of

LESSON = "x = 2\ny = 3\nz = x*y + y"


def app(**query) -> AppTest:
    """The dashboard on Build and see (where the program box and the widget builder are)."""
    return open_dashboard("app_pages/build.py", **query)


def open_tab(at: AppTest, name: str) -> None:
    """Switch Build and see's input tabs (only the open tab is drawn), as a click on the tab does."""
    at.session_state["build:tab"] = name
    at.run()
    assert not at.exception


def shown_table(at: AppTest, index: int = 0):
    """What the values table draws: its display values (the numbers as text), not the raw data."""
    styler = at.dataframe[index].proto.arrow_data.styler
    return pa.ipc.open_stream(styler.display_values).read_all().to_pandas()


# -- defect 5: a number box never changes a value silently --------------------------------------------


def test_a_cleared_number_box_keeps_the_value_and_says_why_under_that_box():
    at = app()
    at.sidebar.number_input(key="value:x").set_value(None).run()
    assert not at.exception
    assert at.session_state["program"] == LESSON
    assert at.sidebar.number_input(key="value:x").value == 2.0  # the box shows the value still used
    messages = [e.value for e in at.sidebar.error]
    assert len(messages) == 1 and "`x` stays 2" in messages[0], messages
    assert not at.main.error, "the message belongs beside the box, not on the page"


def test_the_number_boxes_have_no_default_so_a_blank_reaches_the_app_instead_of_a_silent_zero():
    # with a default, the browser's box puts the default (0) back when it is cleared, before the app sees it
    at = app()
    assert [box.proto.HasField("default") for box in at.sidebar.number_input] == [False, False]


def test_a_refused_value_puts_the_old_value_back_and_says_why_under_the_box():
    at = app(expr="x = 2\nz = log(x)")
    at.sidebar.number_input(key="value:x").set_value(-1.0).run()
    assert at.session_state["program"] == "x = 2\nz = log(x)"
    assert at.sidebar.number_input(key="value:x").value == 2.0
    assert "log" in at.sidebar.error[0].value


def test_a_value_change_keeps_a_typed_program_that_is_not_built_and_discard_throws_it_away():
    at = app()
    draft = "x = 2\ny = 3\nz = x*y + y + 1"
    at.text_area(key="build:text").input(draft).run()
    at.sidebar.number_input(key="value:y").set_value(4.0).run()
    assert not at.exception
    assert at.session_state["program"] == "x = 2\ny = 4\nz = x*y + y"
    assert at.text_area(key="build:text").value == draft  # not replaced
    assert any("not built yet" in w.value for w in at.sidebar.warning)
    assert any("not built yet" in w.value for w in at.main.warning)
    at.sidebar.button(key="sidebar:discard").click().run()
    assert at.text_area(key="build:text").value == "x = 2\ny = 4\nz = x*y + y"
    assert not at.warning


def test_a_typed_program_survives_a_page_switch_before_it_is_built():
    at = app()
    at.text_area(key="build:text").input("z = x*y + 1").run()
    at.switch_page("app_pages/bugs.py").run()
    at.switch_page("app_pages/build.py").run()
    assert at.text_area(key="build:text").value == "z = x*y + 1"


# -- defect 2: each message where the learner made the change -------------------------------------------


def test_a_refused_typed_program_is_said_on_build_and_see_only():
    at = app()
    at.text_area(key="build:text").input("x = 2\ny = 3\nz = x*y +").run()
    at.button(key="build:build").click().run()
    assert "line 3, column 10" in at.main.error[0].value
    assert at.text_area(key="build:text").value == "x = 2\ny = 3\nz = x*y +"
    at.switch_page("app_pages/bugs.py").run()
    assert not any("line 3" in e.value for e in at.error), "the typed program's error is shown under its box only"


def test_a_refused_widget_change_is_said_under_the_widget_builder():
    at = app()
    open_tab(at, "Widgets")
    at.text_input(key="build:var_name").input("x").run()
    at.button(key="build:add_var").click().run()
    assert not at.exception
    assert at.main.error and "x" in at.main.error[0].value
    assert at.session_state["program"] == LESSON


# -- defect 7: the share link --------------------------------------------------------------------------


def test_the_link_is_the_servers_own_address_of_the_page_with_every_parameter():
    params = {"expr": LESSON, "hand": '{"grad:x":"y"}', "first": "0"}
    link = link_address("http://203.0.113.5:8501/compare", "ignored:1", "compare", params)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "203.0.113.5:8501", "/compare")
    assert {k: v[0] for k, v in parse_qs(parts.query).items()} == params
    root = urlsplit(link_address("https://lab.example.org", None, "", params))
    assert (root.scheme, root.netloc, root.path) == ("https", "lab.example.org", "/")


def test_without_the_browsers_address_the_host_header_or_a_relative_address_is_used():
    assert link_address(None, "localhost:8501", "bugs", {"expr": "x"}) == "http://localhost:8501/bugs?expr=x"
    assert link_address(None, None, "", {"expr": "x"}) == "/?expr=x"


def test_the_sidebar_link_carries_the_hand_entries_and_settings_of_the_address_bar():
    at = app(hand='{"grad:x":"y"}', first="0", tol="0.01")
    assert not [c for c in at.sidebar.code if "expr=" in c.value]  # drawn only while its box is open
    open_share_box(at)
    code = [c for c in at.sidebar.code if "expr=" in c.value]
    assert len(code) == 1
    query = {k: v[0] for k, v in parse_qs(urlsplit(code[0].value).query).items()}
    hand = entries_of(json.loads(query.pop("hand")), analyse(LESSON))  # keyed by the program they belong to
    assert hand == {"grad:x": "y"}
    assert query == {"expr": LESSON, "first": "0", "tol": "0.01"}


# -- defect 8: one precision: the table writes numbers as the diagram does ---------------------------------


def test_the_values_table_shows_micrograds_gradients_to_four_decimals_like_the_diagram():
    at = app()
    open_tab(at, "Presets")
    at.button(key="build:preset:micrograd").click().run()
    table = shown_table(at).set_index("node")
    assert table.loc["a", "grad"] == "138.8338"
    assert table.loc["b", "grad"] == "645.5773"
    assert table.loc["a", "data"] == "-4"
    assert "138.8338" in at.get("graphviz_chart")[0].proto.spec


# -- defect 9: the hand check's result column stays short --------------------------------------------------


def test_an_unreadable_entry_keeps_the_result_cell_short_and_the_message_below():
    a = analyse(LESSON)
    table = comparison_table(check(a, {"grad:x": "x +"}))
    assert table.loc["grad:x", "result"] == "? can't read it"


# -- defect 1: the address bar follows every change of the work ------------------------------------------


@pytest.mark.parametrize("first", ["1", "0"])
def test_a_hand_entry_reaches_the_address_bar(first):
    at = app(first=first)
    at.switch_page("app_pages/by_hand.py").run()
    at.session_state["by_hand:table"] = {
        "edited_rows": {1: {"your answer": "y"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert entries_of(json.loads(at.query_params["hand"]), analyse(LESSON)) == {"grad:x": "y"}
    at.switch_page("app_pages/bugs.py").run()  # a page that ends with st.stop()
    assert entries_of(json.loads(at.query_params["hand"]), analyse(LESSON)) == {"grad:x": "y"}
    assert at.query_params["expr"] == LESSON


def test_a_cleared_tolerance_keeps_the_tolerance_and_says_so():
    at = app(tol="0.01")
    at.switch_page("app_pages/by_hand.py").run()
    at.number_input(key="by_hand:tolerance").set_value(None).run()
    assert not at.exception
    assert at.session_state["settings"]["tolerance"] == 0.01
    assert at.number_input(key="by_hand:tolerance").value == 0.01
    assert "stays 0.01" in at.main.error[0].value
    assert not at.number_input(key="by_hand:tolerance").proto.HasField("default")


# -- the sidebar's output: held back wherever the page holds the answers back ------------------------------

# pages whose job is to show the engine's numbers (the values table, every step, the mistakes beside the engine):
# z = 9 is on the page itself, so the sidebar shows it too
SHOWING = ("app_pages/build.py", "app_pages/flow.py", "app_pages/bugs.py")
# every other page of the top bar or reached from it holds the answers back until the hand entries are in
HOLDING = (
    "app_pages/lesson.py",
    "app_pages/by_hand.py",
    "app_pages/why_rules.py",
    "app_pages/own_rules.py",
    "app_pages/implement.py",
    "app_pages/next_lesson.py",
    "app_pages/room.py",
    "app_pages/lesson2.py",
    "app_pages/sheet.py",
)
EXAMPLE_BY_HAND = json.dumps({"grad:x": "3", "grad:y": "3"})  # dz/dx = y = 3, dz/dy = x + 1 = 3


def sidebar_output(at: AppTest) -> str:
    return next(c.value for c in at.sidebar.caption if c.value.startswith("Output"))


def test_the_families_cover_every_page():
    dashboard = (Path(__file__).resolve().parent.parent / "dashboard.py").read_text(encoding="utf-8")
    assert sorted((*SHOWING, *HOLDING)) == sorted(re.findall(r'st\.Page\("([^"]+)"', dashboard))


@pytest.mark.parametrize("page", HOLDING)
def test_by_hand_first_holds_the_sidebars_output_back_until_the_hand_entries_are_in(page):
    assert sidebar_output(open_dashboard(page)) == "Output **z** = ? (by hand first: yours to work out)"
    assert sidebar_output(open_dashboard(page, hand=EXAMPLE_BY_HAND)) == "Output **z** = 9"
    assert sidebar_output(open_dashboard(page, first="0")) == "Output **z** = 9"  # by hand first switched off


@pytest.mark.parametrize("page", SHOWING)
def test_a_page_that_shows_the_engines_numbers_shows_the_output_in_the_sidebar_too(page):
    assert sidebar_output(open_dashboard(page)) == "Output **z** = 9"


def test_lesson_2_holds_the_neurons_output_back_as_it_holds_the_neurons_numbers():
    from lab.lesson.lesson2 import NEURON

    at = open_dashboard("app_pages/lesson2.py", expr=NEURON)
    assert sidebar_output(at) == "Output **o** = ? (by hand first: yours to work out)"


def test_the_rescue_version_holds_the_output_back_until_z_too_is_worked_out_by_hand():
    at = open_dashboard(lesson="rescue", hand=EXAMPLE_BY_HAND)  # its by hand station asks for z as well
    assert sidebar_output(at) == "Output **z** = ? (by hand first: yours to work out)"
    at = open_dashboard(lesson="rescue", hand=json.dumps({"value": "9", "grad:x": "3", "grad:y": "3"}))
    assert sidebar_output(at) == "Output **z** = 9"
