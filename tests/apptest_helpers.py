"""The dashboard through Streamlit's AppTest, opened as the page tests open it (a link, then a page)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from app.ui import SHARE_BOX

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard.py"


def open_dashboard(page: str | None = None, timeout: float = 60, **query: str) -> AppTest:
    """dashboard.py opened with `query` in the address bar (as a link does), then switched to `page`
    (`app_pages/...`; None stays on the Lesson, where `/` lands). Nothing on the way may raise."""
    at = AppTest.from_file(str(DASHBOARD), default_timeout=timeout)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    assert not at.exception
    return at


def open_share_box(at: AppTest) -> None:
    """As a click on the sidebar's "Link, save, load" does: what is in it is drawn only while it is open."""
    assert not at.get("file_uploader") and not [b for b in at.get("download_button") if "work" in b.proto.label]
    at.session_state[SHARE_BOX] = True
    at.run()
