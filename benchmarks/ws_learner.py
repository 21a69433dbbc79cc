"""A simulated learner: one Streamlit session driven over Streamlit's own websocket protocol, no browser.

What the browser's frontend does, reduced to what a learner's path needs: connect to `/_stcore/stream`
(subprotocol `streamlit`), ask for a run (`BackMsg.rerun_script` with the address bar's query, the page's
script hash and the widgets' new values), read the `ForwardMsg`s until the run's `script_finished`, and
keep what they say: the address bar's query (`page_info_changed`, which carries the learner's work), the
pages (`navigation`), the widgets drawn (their ids, by key), the texts shown, the diagrams (their DOT) and
the tables (their Arrow data). A run that ends early for a rerun (`st.rerun()`) is followed to the run that
ends the work, as the browser waits for it. A download button whose file is made when clicked is clicked as
the browser does: a backend operation asks for the file, then its address is fetched over HTTP.

Used by benchmarks/bench_workshop.py, tests/test_deploy.py and tests/browser/test_workshop_sessions.py.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = ForwardMsg.ScriptFinishedStatus
RERUN = FINISHED.FINISHED_EARLY_FOR_RERUN
MAX_MESSAGE = 64 * 1024 * 1024
REPLICA_HEADER = "X-Replica"  # deploy/nginx.conf names the replica that answered


@dataclass
class Widget:
    id: str
    kind: str  # the Element field: "button", "number_input", "radio", "component_instance", ...
    fragment_id: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class Run:
    """One run as the learner saw it: from the request to the end of the last run it caused."""

    seconds: float
    texts: list[str]  # what the page said in that run (Markdown, alerts, headings, spinners, captions)
    exceptions: list[str]  # tracebacks shown on the page (there must be none)
    reruns: int  # how many runs ended early for a rerun first
    dots: list[str] = field(default_factory=list)  # the DOT text of every diagram drawn (st.graphviz_chart)
    tables: list[bytes] = field(default_factory=list)  # every st.dataframe's data, Arrow IPC bytes
    numbers: dict[str, float] = field(default_factory=dict)  # key -> the value a number input was set to by the app


def widget_key(widget_id: str) -> str | None:
    """The user key of a widget id `$$ID-<hash>-<key>` (None for a widget without a key)."""
    if not widget_id.startswith("$$ID-"):
        return None
    parts = widget_id.split("-", 2)
    return parts[2] if len(parts) == 3 and parts[2] != "None" else None


def _text_of(element) -> str | None:
    kind = element.WhichOneof("type")
    if kind in ("markdown", "alert", "heading", "text", "code", "exception", "html"):
        inner = getattr(element, kind)
        return getattr(inner, "body", None) or getattr(inner, "message", None) or getattr(inner, "code_text", None)
    if kind == "spinner":
        return element.spinner.text
    if kind == "progress":
        return element.progress.text
    return None


class Session:
    """One browser tab's Streamlit session. `async with Session(url, query) as s:` opens the link."""

    def __init__(self, base_url: str, *, timeout: float = 120.0) -> None:
        parts = urlsplit(base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        self.base_url = base_url.rstrip("/")
        self.stream_url = f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream"
        self.cookies: dict[str, str] = {}  # what the servers set, sent back as a browser does
        self.replica = ""  # the load balancer's X-Replica of the websocket's handshake (deploy/nginx.conf)
        self.timeout = timeout
        self.ws = None
        self.query = ""
        self.pages: dict[str, str] = {}  # url path ("" for the first page) -> page script hash
        self.page_hash = ""
        self.widgets: dict[str, Widget] = {}  # key -> the widget drawn in the last run
        self.session_id = ""  # the server's id of this session (from new_session)
        self.downloads: dict[str, str] = {}  # label -> the deferred file id of a download button drawn last run
        self.connects = 0

    async def connect(self, query: str = "", page: str = "") -> Run:
        """Open the address `/<page>?<query>`: a new websocket, a new session, its first run."""
        self.query = query
        self.page_hash = ""
        await self._open_socket()
        return await self._run(page_name=page)

    async def browse(self, query: str = "", page: str = "") -> Run:
        """Open the address as a browser does: the page itself and `/_stcore/health` over HTTP first (a load
        balancer's cookie and Streamlit's are kept, as a browser keeps them), then the websocket with them."""
        address = f"{self.base_url}/{page}" + (f"?{query}" if query else "")
        await asyncio.to_thread(self._http_get, address)
        await asyncio.to_thread(self._http_get, f"{self.base_url}/_stcore/health")
        return await self.connect(query, page)

    async def reconnect(self, within: float = 30.0) -> Run:
        """The connection dropped (its server died): connect again as Streamlit's frontend does, health first,
        then a websocket, until one answers (`within` seconds at most), and rerun the page with the address
        bar as it is (the learner's work) on whichever server now serves it."""
        deadline = time.monotonic() + within
        while True:
            try:
                await asyncio.to_thread(self._http_get, f"{self.base_url}/_stcore/health")
                await self._open_socket()
                break
            except (OSError, websockets.exceptions.WebSocketException, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
        return await self._run()

    async def _open_socket(self) -> None:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else None
        self.ws = await websockets.connect(
            self.stream_url,
            subprotocols=["streamlit"],
            max_size=MAX_MESSAGE,
            additional_headers=headers,
            open_timeout=self.timeout,
            ping_interval=None,
        )
        self.replica = self.ws.response.headers.get(REPLICA_HEADER, "")
        self.connects += 1

    def _http_get(self, address: str) -> None:
        request = urllib.request.Request(address)
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    # -- what a learner does -----------------------------------------------------------------------

    async def go(self, url_path: str) -> Run:
        """Switch to a page by its address (as a click in the top bar: the query is the page's own, kept)."""
        self.page_hash = self.pages[url_path]
        return await self._run()

    async def click(self, key: str) -> Run:
        return await self._set(key, lambda s: setattr(s, "trigger_value", True))

    async def number(self, key: str, value: float) -> Run:
        return await self._set(key, lambda s: setattr(s, "double_value", value))

    async def text(self, key: str, value: str) -> Run:
        return await self._set(key, lambda s: setattr(s, "string_value", value))

    async def switch(self, key: str, on: bool) -> Run:
        """A checkbox, a toggle, or an expander with a key (open or closed)."""
        return await self._set(key, lambda s: setattr(s, "bool_value", on))

    async def choose(self, key: str, index: int) -> Run:
        """Pick option `index` of a radio (its value is the option's text as shown)."""
        option = self.widget(key).options[index]
        return await self._set(key, lambda s: setattr(s, "string_value", option))

    async def component(self, key: str, value: dict) -> Run:
        return await self._set(key, lambda s: setattr(s, "json_value", json.dumps(value)))

    async def editor_submit(self, key: str, text: str) -> Run:
        """Ctrl+Enter in streamlit-code-editor: its value is an event with a fresh id, the text and "submit"."""
        event = {
            "id": uuid.uuid4().hex[:8],
            "type": "submit",
            "lang": "python",
            "text": text,
            "selected": "",
            "cursor": "",
        }
        return await self.component(key, event)

    async def download(self, label: str) -> bytes:
        """Click the download button `label` whose file is made when clicked: ask for the file (a backend
        operation; the server makes it on a thread of its own), then fetch it from the address it answers."""
        if label not in self.downloads:
            raise KeyError(f"no download button {label!r} on the page (drawn: {sorted(self.downloads)})")
        msg = BackMsg()
        request = msg.backend_operation_request
        request.request_id = uuid.uuid4().hex
        request.session_id = self.session_id
        request.deferred_file.file_id = self.downloads[label]
        await self.ws.send(msg.SerializeToString())
        async with asyncio.timeout(self.timeout):
            while True:
                forward = ForwardMsg()
                forward.ParseFromString(await self.ws.recv())
                if forward.WhichOneof("type") != "backend_operation_response":
                    continue
                response = forward.backend_operation_response
                if response.request_id == request.request_id:
                    break
        if response.error_msg:
            raise RuntimeError(f"the download {label!r} failed: {response.error_msg}")
        url = response.deferred_file.url
        address = url if url.startswith("http") else f"{self.base_url}/{url.lstrip('/')}"
        return await asyncio.to_thread(self._http_read, address)

    def _http_read(self, address: str) -> bytes:
        with urllib.request.urlopen(address, timeout=self.timeout) as response:
            return response.read()

    def widget(self, key: str) -> Widget:
        if key not in self.widgets:
            raise KeyError(f"no widget {key!r} on the page (drawn: {sorted(self.widgets)})")
        return self.widgets[key]

    def keys_starting(self, prefix: str) -> list[str]:
        return [k for k in self.widgets if k.startswith(prefix)]

    async def _set(self, key: str, put) -> Run:
        w = self.widget(key)
        state = WidgetState(id=w.id)
        put(state)
        return await self._run(widgets=[state], fragment_id=w.fragment_id)

    # -- the protocol ------------------------------------------------------------------------------

    async def rerun(self) -> Run:
        """A rerun with nothing changed (Streamlit's R key)."""
        return await self._run()

    async def _run(self, widgets: list[WidgetState] = (), fragment_id: str = "", page_name: str = "") -> Run:
        msg = BackMsg()
        rerun = msg.rerun_script
        rerun.query_string = self.query
        rerun.page_script_hash = self.page_hash
        rerun.page_name = page_name
        if fragment_id:
            rerun.fragment_id = fragment_id
        rerun.widget_states.widgets.extend(widgets)
        started = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        run = Run(0.0, [], [], 0)
        widgets_now: dict[str, Widget] = {}
        downloads: dict[str, str] = {}
        async with asyncio.timeout(self.timeout):
            while True:
                forward = ForwardMsg()
                forward.ParseFromString(await self.ws.recv())
                kind = forward.WhichOneof("type")
                if kind == "new_session":
                    self.session_id = forward.new_session.initialize.session_id or self.session_id
                elif kind == "navigation":
                    self.pages = {p.url_pathname: p.page_script_hash for p in forward.navigation.app_pages}
                    self.page_hash = forward.navigation.page_script_hash
                elif kind == "page_info_changed":
                    self.query = forward.page_info_changed.query_string
                elif kind == "delta":
                    self._read_delta(forward.delta, run, widgets_now, downloads)
                elif kind == "script_finished":
                    if forward.script_finished == RERUN:
                        run.reruns += 1
                        continue
                    break
        if forward.script_finished != FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
            self.widgets, self.downloads = widgets_now, downloads
        else:
            self.widgets.update(widgets_now)
            self.downloads.update(downloads)
        run.seconds = time.perf_counter() - started
        return run

    @staticmethod
    def _read_delta(delta, run: Run, widgets: dict[str, Widget], downloads: dict[str, str]) -> None:
        texts, exceptions = run.texts, run.exceptions
        kind = delta.WhichOneof("type")
        if kind == "add_block":  # an expander with a key is a widget too: open or closed
            block = delta.add_block
            if block.WhichOneof("type") == "expandable" and widget_key(block.expandable.id):
                widgets[widget_key(block.expandable.id)] = Widget(block.expandable.id, "expander", delta.fragment_id)
            return
        if kind == "new_element":
            element = delta.new_element
        elif kind == "new_transient":
            for element in delta.new_transient.elements:
                text = _text_of(element)
                if text:
                    texts.append(text)
            return
        else:
            return
        type_ = element.WhichOneof("type")
        if type_ == "exception":
            exceptions.append(f"{element.exception.type}: {element.exception.message}")
            return
        text = _text_of(element)
        if text:
            texts.append(text)
        if type_ == "graphviz_chart":
            run.dots.append(element.graphviz_chart.spec)
        elif type_ == "dataframe":
            run.tables.append(element.dataframe.arrow_data.data)
        elif type_ == "download_button" and element.download_button.deferred_file_id:
            downloads[element.download_button.label] = element.download_button.deferred_file_id
        inner = getattr(element, type_) if type_ else None
        widget_id = getattr(inner, "id", "") if inner is not None else ""
        key = widget_key(widget_id) if widget_id else None
        if key is not None and type_ == "number_input" and inner.set_value and inner.HasField("value"):
            run.numbers[key] = inner.value
        if key is not None:
            options = list(getattr(inner, "options", []) or [])
            widgets[key] = Widget(widget_id, type_, delta.fragment_id, [str(o) for o in options])
