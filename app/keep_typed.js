// Text typed into a box is sent before the click that left the box does anything (issue 16, item 2).
//
// A Streamlit text box sends its text when it loses focus (or on Enter). A click elsewhere moves the focus
// at mousedown, but Streamlit sends the text a moment later (after React's next render), and by then the
// click has often sent its own message: a top-bar link's page change. The server then reruns the old page
// with the text (the newer message wins), so the page does not change, and the box comes back empty
// because the browser had already dropped the old page's widgets. So: when a box with unsent text loses
// the focus to a click, that click waits until the box's rerun has run (or, if none comes, a moment),
// and is then given again to the same control. Nothing else is changed.
(() => {
  if (window.__backpropLabKeepTyped) return;
  window.__backpropLabKeepTyped = true;

  const TEXT = "textarea, input:not([type]), input[type='text'], input[type='number'], input[type='search']";
  const START_WAIT_MS = 1500; // the box's rerun starts within this, or there is none
  const RUN_WAIT_MS = 8000; // at most this long for that rerun to end
  const QUIET_MS = 300; // idle this long after it: no more reruns of the old page are on their way
  const EDITOR_QUIET_MS = 700; // the code editor's last typing is sent 500 ms after it (app_pages/implement.py)
  const dirty = new WeakSet(); // boxes with text the server has not been sent yet
  let waiting = null; // clicks held until the rerun of a box that lost the focus has run (null: none)

  const app = () => document.querySelector("[data-testid='stApp']");
  const inForm = (box) => box.closest("[data-testid='stForm']") !== null; // a form sends only on submit

  function waitForTheRerun(quietMs = QUIET_MS) {
    // from now until the app has run the box's rerun and stayed idle a moment (a table sends its edits once
    // more after that rerun), or no rerun started in time, clicks wait
    if (waiting !== null) return;
    waiting = [];
    const root = app();
    let started = false;
    let quiet = null;
    const finish = () => {
      observer.disconnect();
      clearTimeout(noStart);
      clearTimeout(tooLong);
      clearTimeout(quiet);
      const held = waiting || [];
      waiting = null;
      held.forEach((again) => again());
    };
    const observer = new MutationObserver(() => {
      clearTimeout(quiet);
      if (root.getAttribute("data-test-script-state") === "running") started = true;
      else if (started) quiet = setTimeout(finish, quietMs);
    });
    if (root !== null) observer.observe(root, { attributes: true, attributeFilter: ["data-test-script-state"] });
    const noStart = setTimeout(() => started || finish(), START_WAIT_MS);
    const tooLong = setTimeout(finish, RUN_WAIT_MS);
  }

  document.addEventListener(
    "input",
    (event) => {
      const box = event.target;
      if (box instanceof HTMLElement && box.matches(TEXT) && !inForm(box)) dirty.add(box);
    },
    true,
  );
  document.addEventListener(
    "keydown",
    (event) => {
      // Enter (Ctrl+Enter in a text area) sends the text: clicks right after it wait for its rerun too
      const box = event.target;
      if (event.key === "Enter" && dirty.has(box) && (box.tagName !== "TEXTAREA" || event.ctrlKey || event.metaKey)) {
        dirty.delete(box);
        waitForTheRerun();
      }
    },
    true,
  );
  document.addEventListener(
    "focusout",
    (event) => {
      if (dirty.has(event.target)) {
        dirty.delete(event.target);
        waitForTheRerun();
      }
    },
    true,
  );

  // The code editor (Implement it) is a component in an iframe: it sends what it holds when it loses the focus
  // (and after a pause in typing), and its message reruns its fragment. A click that takes the focus out of it
  // waits for that rerun too: a top-bar link's page change sent first would be run over by the editor's late
  // rerun of a fragment the new page does not have, and the page would stay blank (issue 25, item 7).
  const EDITOR = "iframe[title='code_editor.code_editor']";
  document.addEventListener(
    "pointerdown",
    (event) => {
      const focused = document.activeElement;
      if (focused instanceof HTMLIFrameElement && focused.matches(EDITOR) && !focused.contains(event.target)) {
        waitForTheRerun(EDITOR_QUIET_MS);
      }
    },
    true,
  );

  document.addEventListener(
    "click",
    (event) => {
      const target = event.target;
      if (waiting === null || !event.isTrusted || !(target instanceof HTMLElement)) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      const { clientX, clientY } = event;
      const text = target.textContent;
      waiting.push(() => {
        let control = target;
        if (!control.isConnected) {
          // redrawn by the rerun: the control now at the same place, if it is the same one
          const there = document.elementFromPoint(clientX, clientY);
          control = there && there.tagName === target.tagName && there.textContent === text ? there : null;
        }
        if (control) control.click();
      });
    },
    true,
  );
})();
