"""The dashboard through Streamlit's AppTest, opened as the page tests open it (a link, then a page)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from app.ui import SHARE_BOX

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard.py"


_PAGES: dict = {}  # the pages dashboard.py registers with st.navigation, as AppTest learns them in a first run


def _registered_pages() -> dict:
    if not _PAGES:
        first = AppTest.from_file(str(DASHBOARD), default_timeout=60)
        first.run()
        _PAGES.update(first._registered_pages)
    return _PAGES


def open_dashboard(page: str | None = None, timeout: float = 60, **query: str) -> AppTest:
    """dashboard.py opened at `page` (`app_pages/...`; None is the Lesson, where `/` lands) with `query` in the
    address bar, as a link to that page opens it: its first run is that page's. Nothing on the way may raise.

    (AppTest finds a page registered under its own address only after a run has registered the pages: they are
    learned once, from a first run, and given to each new AppTest, so that its first run is the page's own.)"""
    at = AppTest.from_file(str(DASHBOARD), default_timeout=timeout)
    for key, value in query.items():
        at.query_params[key] = value
    if page is not None:
        at._registered_pages = dict(_registered_pages())
        at.switch_page(page)
    at.run()
    assert not at.exception
    return at


def open_share_box(at: AppTest) -> None:
    """As a click on the sidebar's "Link, save, load" does: what is in it is drawn only while it is open."""
    assert not at.get("file_uploader") and not [b for b in at.get("download_button") if "work" in b.proto.label]
    at.session_state[SHARE_BOX] = True
    at.run()
