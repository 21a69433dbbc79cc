"""Backprop Lab: build a scalar expression, watch backpropagation, check it by hand.

Run with `streamlit run dashboard.py`. This file only says what the pages are and draws the
parts every page shares (the sidebar and the error line). Each page is a file in app_pages/,
not pages/: a folder with that name switches Streamlit into its older multipage mode, which
runs a page without this file on a freshly started server.
"""

import streamlit as st

from app import room, state, ui


def open_by_hand() -> None:
    """By hand's old address, /compare: a link made before the page was named as it is opens By hand."""
    st.switch_page("app_pages/by_hand.py")


st.set_page_config(page_title="Backprop Lab", page_icon="🔁", layout="wide")
state.init()
state.watch_work("room", room.send_progress)  # a change made in a fragment's rerun is sent too

pages = [
    st.Page("app_pages/lesson.py", title="Lesson", default=True),
    st.Page("app_pages/build.py", title="Build and see", url_path="build"),
    st.Page("app_pages/by_hand.py", title="By hand", url_path="by-hand"),
    st.Page("app_pages/flow.py", title="Watch it flow"),
    st.Page("app_pages/why_rules.py", title="Rules", url_path="rules"),
    st.Page("app_pages/own_rules.py", title="Your rules"),
    st.Page("app_pages/implement.py", title="Implement it", url_path="implement"),
    st.Page("app_pages/bugs.py", title="Bug lab"),
    st.Page("app_pages/next_lesson.py", title="Next lesson", url_path="next"),
    # the instructor's page: not in the top bar (learners join in the sidebar's Room box, which links to it)
    st.Page("app_pages/room.py", title="Room", url_path="room", visibility="hidden"),
    # By hand's address before it was named as the page: a link made then still opens By hand, with its work
    st.Page(open_by_hand, title="By hand", url_path="compare", visibility="hidden"),
    # lesson 2: reached from the Lesson page (the lessons' picker), not a tenth title in the top bar
    st.Page("app_pages/lesson2.py", title="Lesson 2", url_path="lesson2", visibility="hidden"),
    # the derivation sheet: opened from the Lesson's stations (the rules, by hand), not from the top bar
    st.Page("app_pages/sheet.py", title="Derivation sheet", url_path="sheet", visibility="hidden"),
]
# short titles: all nine fit the top bar at 1280 px beside the sidebar (each page's heading has its full name)
page = st.navigation(pages, position="top")
ui.page_style()
ui.keep_typed_text()
ui.sidebar(page.url_path)
room_message = room.sidebar_box()
ui.show_error()
state.sync_url()  # before the page: a page that ends with st.stop() still leaves its work in the link
try:
    page.run()
finally:
    state.sync_url()  # after it too: what the page itself changed (st.rerun and errors pass here)
    room.send_progress(room_message)  # in a room: what this run's work says that the room does not have yet
