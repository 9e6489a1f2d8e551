"""``FormView``: the status line, the details area and the run loop every form shares (docs/DESIGN.md, R33).

The loop: the submit button is disabled, the action runs through a *runner* (a background thread
by default, so the kernel stays responsive), its :class:`~._actions.ActionOutcome` becomes a one-line
status, and the buttons are re-enabled in ``finally``. A second click while busy is ignored, so a
double click sends one write. Inputs are never touched on failure.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import ipywidgets as widgets

from arize_orgs_nb.client import ArizeOrgs
from arize_orgs_nb.http.transport import TransportEvent
from arize_orgs_nb.widgets._actions import ActionOutcome
from arize_orgs_nb.widgets._messages import describe_error, esc, one_line, status_html, visible_controls

__all__ = ["FormView", "Runner", "SyncRunner", "ThreadRunner"]

APPLY_THREADS = "aonb-apply"
"""Name prefix of the apply engine's worker threads (``ThreadPoolExecutor(thread_name_prefix=...)``)."""

OnDone = Callable[[ActionOutcome], None]
"""Called after a successful action (in the runner's thread)."""


class Runner(Protocol):
    """Runs a form's job: in a thread (:class:`ThreadRunner`) or inline (:class:`SyncRunner`)."""

    def submit(self, job: Callable[[], None]) -> None:
        """Start ``job``; it reports its own result through the widgets."""


class ThreadRunner:
    """Run each job in its own daemon thread, so the kernel keeps answering while it works."""

    def __init__(self, name: str = "aonb-form") -> None:
        self._name = name

    def __repr__(self) -> str:
        return "ThreadRunner()"

    def submit(self, job: Callable[[], None]) -> None:
        """Start ``job`` in a new daemon thread.

        Args:
            job: the work.
        """
        threading.Thread(target=job, name=self._name, daemon=True).start()


class SyncRunner:
    """Run each job at once, in the caller's thread: for headless tests and scripts."""

    def __repr__(self) -> str:
        return "SyncRunner()"

    def submit(self, job: Callable[[], None]) -> None:
        """Run ``job`` now.

        Args:
            job: the work.
        """
        job()


def css(widget: Any, *classes: str) -> Any:  # noqa: ANN401 - ipywidgets are untyped
    """Add stable CSS classes (hooks for browser tests and styling) and return the widget."""
    for name in classes:
        widget.add_class(name)
    return widget


def wide() -> widgets.Layout:
    """Layout of text inputs and pickers: room for long names."""
    return widgets.Layout(width="560px", max_width="95%")


def fit() -> widgets.Layout:
    """Layout of buttons and checkboxes: as wide as their label."""
    return widgets.Layout(width="max-content")


def label() -> dict[str, str]:
    """Style of labelled inputs: one label width, so fields line up and "Organization" fits."""
    return {"description_width": "100px"}


def heading(text: str) -> widgets.HTML:
    """A small bold heading (escaped)."""
    return widgets.HTML(value=f"<b>{esc(text)}</b>")


class StatusArea:
    """A status line and a details area, for widgets that have ``status`` and ``details``."""

    status: widgets.HTML
    details: widgets.Output
    status_kind: str
    status_text: str

    def set_status(self, kind: str, text: str) -> None:
        """Show a one-line status (escaped here).

        Args:
            kind: ``idle``, ``busy``, ``ok``, ``warn`` or ``error``.
            text: plain text.
        """
        self.status_kind = kind
        self.status_text = one_line(text)
        self.status.value = status_html(kind, text)

    def show_details(self, text: str | None) -> None:
        """Replace the details area with plain text (rendered as text, never as HTML)."""
        if not text:
            self.details.outputs = ()
            return
        self.details.outputs = (
            {"output_type": "stream", "name": "stdout", "text": visible_controls(text).rstrip() + "\n"},
        )


class FormView(StatusArea, widgets.VBox):
    """Base of every form: a heading, the form's rows, a status line and a details area.

    Args:
        client: the client every action goes through (never shown; its key is never synced).
        title: the heading.
        css_class: the form's root CSS class (e.g. ``aonb-create``).
        runner: how actions run (default :class:`ThreadRunner`; :class:`SyncRunner` for tests).
        on_done: called with the outcome after each successful action.
    """

    def __init__(
        self,
        client: ArizeOrgs,
        *,
        title: str,
        css_class: str,
        runner: Runner | None = None,
        on_done: OnDone | None = None,
    ) -> None:
        super().__init__()
        self._client = client
        self.runner: Runner = runner if runner is not None else ThreadRunner()
        self.on_done = on_done
        self.title = heading(title)
        self.status = css(widgets.HTML(value=status_html("idle", "")), "aonb-status")
        self.details = css(widgets.Output(), "aonb-details")
        self.status_kind = "idle"
        """``idle``, ``busy``, ``ok``, ``warn`` or ``error``: the kind of the status line."""
        self.status_text = ""
        """The status line as plain text."""
        self.last_outcome: ActionOutcome | None = None
        """The outcome of the last action."""
        self._busy = False
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._buttons: list[tuple[Any, Callable[[], bool]]] = []
        self._cleanups: list[Callable[[], None]] = []
        css(self, "aonb-form", css_class)

    # -- layout and state ------------------------------------------------------------------

    def _set_rows(self, rows: Iterable[Any]) -> None:
        self.children = (self.title, *rows, self.status, self.details)

    def _button(self, button: Any, ready: Callable[[], bool]) -> Any:  # noqa: ANN401
        """Register an action button: enabled only when not busy and ``ready()``."""
        self._buttons.append((button, ready))
        return button

    def refresh_buttons(self) -> None:
        """Enable each action button when the form is idle and its inputs are valid."""
        for button, ready in self._buttons:
            button.disabled = self._busy or not ready()

    @property
    def busy(self) -> bool:
        """True while an action runs."""
        return self._busy

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no action runs (for scripts and tests).

        Args:
            timeout: seconds, or None to wait as long as needed.

        Returns:
            True when idle, False on timeout.
        """
        return self._idle.wait(timeout)

    def _report_load_error(self, error: BaseException | None, what: str) -> None:
        """Show on the status line that the shared data could not be loaded (the form still opens)."""
        if error is not None:
            self.set_status("error", f"could not load {what}: {describe_error(error)[0]}")

    def _add_cleanup(self, cleanup: Callable[[], None]) -> None:
        self._cleanups.append(cleanup)

    def close(self) -> None:
        """Stop listening to shared objects and close this form's widgets."""
        cleanups = getattr(self, "_cleanups", [])  # close() also runs from __del__ of a failed __init__
        for cleanup in cleanups:
            cleanup()
        cleanups.clear()
        for child in self.children:
            _close_tree(child)
        super().close()

    # -- the run loop ----------------------------------------------------------------------

    def _run(
        self,
        action: Callable[[], ActionOutcome],
        *,
        busy_text: str,
        on_success: Callable[[ActionOutcome], None] | None = None,
    ) -> bool:
        """Run one action through the runner (the loop of docs/DESIGN.md, R33).

        Args:
            action: calls one function of :mod:`._actions`.
            busy_text: shown while it runs.
            on_success: updates this form after a success (clear inputs, update the snapshot).

        Returns:
            False when ignored because an action is already running.
        """
        with self._lock:
            if self._busy:
                return False
            self._busy = True
            self._idle.clear()
        try:
            self.refresh_buttons()
            self.set_status("busy", busy_text)
            self.show_details(None)
            self.runner.submit(lambda: self._job(action, on_success))
        except BaseException:
            self._finish()
            raise
        return True

    def _job(
        self, action: Callable[[], ActionOutcome], on_success: Callable[[ActionOutcome], None] | None
    ) -> None:
        try:
            stop_watching = self._watch_retries(threading.get_ident())
            try:
                outcome = action()
            except Exception as error:  # a bug, not an API error: shown, never swallowed silently
                message, _ = describe_error(error)
                outcome = ActionOutcome(False, message, traceback.format_exc(), error)
            finally:
                stop_watching()
            self.last_outcome = outcome
            self.set_status("ok" if outcome.ok else "error", outcome.message)
            self.show_details(outcome.detail)
            if outcome.ok:
                self._after_success(outcome, on_success)
        finally:
            self._finish()

    def _after_success(
        self, outcome: ActionOutcome, on_success: Callable[[ActionOutcome], None] | None
    ) -> None:
        try:
            if on_success is not None:
                on_success(outcome)
            if self.on_done is not None:
                self.on_done(outcome)
        except Exception as error:
            message, _ = describe_error(error)
            self.set_status("warn", f"{outcome.message}; but updating the view failed: {message}")
            self.show_details(traceback.format_exc())

    def _finish(self) -> None:
        with self._lock:
            self._busy = False
        try:
            self.refresh_buttons()
        finally:
            self._idle.set()

    def _watch_retries(self, thread_id: int) -> Callable[[], None]:
        """Show "rate limited, retrying in N s" while the transport waits for this job.

        The job's own thread drains (the apply's stale check); its writes run in the apply's
        worker threads (``aonb-apply_*``), whose waits are shown too. The rate-limit pause is
        shared by every request of the client, so a wait seen there concerns this job as well.
        """

        def listener(event: TransportEvent) -> None:
            if event.kind != "wait":
                return
            current = threading.current_thread()
            if current.ident != thread_id and not current.name.startswith(APPLY_THREADS):
                return
            if event.reason == "paced":
                return  # the client's own pacing: the progress shows it, nothing is wrong
            seconds = max(1, round(event.seconds))
            if event.reason == "rate-limited":
                self.set_status("warn", f"rate limited, retrying in {seconds} s")
            else:
                self.set_status("warn", f"no answer from the service, retrying in {seconds} s")

        return self._client.transport.add_listener(listener)


def _close_tree(widget: Any) -> None:  # noqa: ANN401
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()
