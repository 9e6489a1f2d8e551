"""``FormView``: the run loop, status lines and input bookkeeping every form shares (docs/DESIGN.md, R33).

The loop: the buttons AND the inputs are disabled, the action runs through a *runner* (a
background thread by default, so the kernel stays responsive), its :class:`~._actions.ActionOutcome`
becomes a one-line status on the line of the button that started it, and the controls are
re-enabled in ``finally``. A second click while busy is ignored, so a double click sends one write.
Inputs are never touched on failure.

Status that tells the truth about now (docs/DESIGN.md, R37): each action has its own
:class:`StatusLine`, shown under its button and cleared as soon as one of the action's inputs is
changed by the user, or when another action of the form starts (its result may not hold after
it); a Refresh of the shared snapshot clears the errors and warnings (they were about the old
list). Programmatic changes (a reset after a success, a prefill) happen inside
:meth:`FormView.quietly`, so they neither clear a line nor count as the user's edits.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import ipywidgets as widgets

from arize_orgs_nb.client import ArizeOrgs
from arize_orgs_nb.http.transport import TransportEvent
from arize_orgs_nb.widgets._actions import ActionOutcome
from arize_orgs_nb.widgets._messages import (
    SPINNER_CSS,
    describe_error,
    esc,
    hint_html,
    one_line,
    status_html,
    visible_controls,
)
from arize_orgs_nb.widgets._snapshot import Snapshot

__all__ = [
    "STYLE_HTML",
    "Busy",
    "FormView",
    "Problem",
    "Runner",
    "SnapshotForm",
    "StatusLine",
    "SyncRunner",
    "ThreadRunner",
    "on_enter",
    "style_sheet",
]

APPLY_THREADS = "aonb-apply"
"""Name prefix of the apply engine's worker threads (``ThreadPoolExecutor(thread_name_prefix=...)``)."""

OnDone = Callable[[ActionOutcome], None]
"""Called after a successful action (in the runner's thread)."""

Problem = tuple[Any, str]
"""``(control, text)``: what stops an action, and the input it is about (None: the form as a whole).

A problem of an input the user changed is an error (red, ✖); one of an untouched input, or of
the form as a whole, is a neutral to-do (grey, no mark)."""

CODE_DETAILS = "aonb-details-code"
"""The class of a details area that shows a traceback (fixed-width, as Python prints it)."""

STYLE_HTML = f"<style>{SPINNER_CSS}</style>"
"""The forms' style sheet, as the value of :func:`style_sheet`'s widget (constant: no data in it)."""


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


def section(text: str) -> widgets.HTML:
    """The heading of a second part of a form (Delete, Remove): a rule above sets it apart."""
    return css(
        widgets.HTML(
            value=f"<b>{esc(text)}</b>",
            layout=widgets.Layout(border_top="1px solid #ddd", margin="14px 0 2px 0"),
        ),
        "aonb-section",
    )


def field_note(css_class: str) -> widgets.HTML:
    """A line about the field above it (a hint, a count), aligned under the inputs, not the labels."""
    return css(widgets.HTML(layout=widgets.Layout(margin="0 2px 2px 108px")), "aonb-field-note", css_class)


def note_html(text: str, css_class: str = "aonb-note") -> str:
    """A grey line of plain text (escaped)."""
    return f'<span class="{esc(css_class)}" style="color:#666">{esc(text)}</span>'


def text_input(description: str, css_class: str, *, placeholder: str = "", rows: int = 0) -> Any:  # noqa: ANN401
    """A labelled single-line ``Text`` (``rows=0``) or a ``Textarea`` of ``rows`` lines.

    Single-line fields sync every keystroke (``continuous_update=True``), so validation is inline.
    """
    if rows:
        field = widgets.Textarea(
            description=description, placeholder=placeholder, rows=rows, layout=wide(), style=label()
        )
    else:
        field = widgets.Text(
            description=description,
            placeholder=placeholder,
            continuous_update=True,
            layout=wide(),
            style=label(),
        )
    return css(field, css_class)


def action_button(description: str, css_class: str, *, style: str = "primary", icon: str = "") -> Any:  # noqa: ANN401
    """A button (disabled until its form says it is ready)."""
    return css(
        widgets.Button(description=description, button_style=style, icon=icon, disabled=True, layout=fit()),
        css_class,
    )


def style_sheet() -> widgets.HTML:
    """The forms' style sheet (the spinner's animation) in a hidden HTML widget.

    A ``<style>`` element applies to the whole page even inside a hidden element; its rules are
    scoped to ``.aonb-*`` classes, so nothing else on the page changes. Each form carries one, so
    a form shown alone is styled too (repeats are harmless).
    """
    return css(widgets.HTML(value=STYLE_HTML, layout=widgets.Layout(display="none")), "aonb-style")


def on_enter(text: Any, submit: Callable[[], object]) -> None:  # noqa: ANN401
    """Call ``submit()`` when Enter is pressed in a single-line ``Text``.

    ipywidgets 8's front-end sends the custom message ``{"event": "submit"}`` on Enter in a
    ``Text`` (its ``TextView.handleKeypress``); ``Text.on_submit``, which registers for it, is
    deprecated, so this listens with the public ``Widget.on_msg``. The suggested replacement,
    ``continuous_update=False`` with an observer of ``value``, also fires when the field merely
    loses focus, which must never send a write. The field keeps ``continuous_update=True``, so
    the kernel has the value as typed; like a button's click message, the Enter message can
    overtake a keystroke still in flight only if keys arrive faster than the kernel answers, and
    the form's status line then names exactly what was sent.

    Args:
        text: the field.
        submit: what Enter does (the form's own submit method: it refuses invalid input).
    """

    def handle(_widget: Any, content: Any, _buffers: Any) -> None:  # noqa: ANN401
        if isinstance(content, dict) and content.get("event") == "submit":
            submit()

    text.on_msg(handle)


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
        """Replace the details area with plain text (rendered as text, never as HTML).

        It reads in the notebook's own font, wrapped; a traceback keeps the fixed-width font.
        """
        if not text:
            self.details.outputs = ()
            return
        if text.startswith("Traceback"):
            self.details.add_class(CODE_DETAILS)
        else:
            self.details.remove_class(CODE_DETAILS)
        self.details.outputs = (
            {"output_type": "stream", "name": "stdout", "text": visible_controls(text).rstrip() + "\n"},
        )

    def clear(self) -> None:
        """Empty the status line and the details area."""
        self.set_status("idle", "")
        self.show_details(None)


class Busy:
    """The busy state of a view whose actions run on a runner: ``busy`` and ``wait()``.

    The view sets ``_busy`` (under its own lock) when an action starts and clears ``_idle``;
    both are restored when the action ends.
    """

    _busy: bool
    _idle: threading.Event

    @property
    def busy(self) -> bool:
        """True while an action (a save, an apply...) runs."""
        return self._busy

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no action runs (for scripts and tests).

        Args:
            timeout: seconds, or None to wait as long as needed.

        Returns:
            True when idle, False on timeout.
        """
        return self._idle.wait(timeout)


class StatusLine(StatusArea):
    """The status of one action: a line (``aonb-status`` and ``css_class``) and a details area.

    Args:
        css_class: the line's own CSS class (e.g. ``aonb-save-status``).
    """

    def __init__(self, css_class: str) -> None:
        self.status = css(widgets.HTML(value=status_html("idle", "")), "aonb-status", css_class)
        self.details = css(widgets.Output(), "aonb-details", f"{css_class}-details")
        self.status_kind = "idle"
        """``idle``, ``busy``, ``ok``, ``warn`` or ``error``."""
        self.status_text = ""
        """The line as plain text."""

    def __repr__(self) -> str:
        return f"<StatusLine {self.status_kind}: {self.status_text!r}>"

    @property
    def rows(self) -> tuple[widgets.HTML, widgets.Output]:
        """The widgets to place under the action's button."""
        return self.status, self.details


class FormView(Busy, widgets.VBox):
    """Base of every form: a heading, the form's rows, and one status line per action.

    The first line (``self.line``) is the form's main one: :meth:`set_status`, ``status``,
    ``status_text``, ``status_kind`` and ``details`` are its. A form with more actions makes more
    lines (:meth:`_line`) and places each under its button.

    Args:
        client: the client every action goes through (never shown; its key is never synced).
        title: the heading.
        css_class: the form's root CSS class (e.g. ``aonb-create``).
        runner: how actions run (default :class:`ThreadRunner`; :class:`SyncRunner` for tests).
        on_done: called with the outcome after each successful action.
        status_class: the main line's own CSS class.
    """

    def __init__(
        self,
        client: ArizeOrgs,
        *,
        title: str,
        css_class: str,
        runner: Runner | None = None,
        on_done: OnDone | None = None,
        status_class: str = "aonb-main-status",
    ) -> None:
        super().__init__()
        self._client = client
        self.runner: Runner = runner if runner is not None else ThreadRunner()
        self.on_done = on_done
        self.title = heading(title)
        self.style_sheet = style_sheet()
        self.lines: list[StatusLine] = []
        """Every action's status line, the main one first."""
        self.line = self._line(status_class)
        self.last_outcome: ActionOutcome | None = None
        """The outcome of the last action."""
        self._busy = False
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._buttons: list[tuple[Any, Callable[[], bool]]] = []
        self._controls: list[tuple[Any, Callable[[], bool]]] = []
        self._touched: set[int] = set()
        self._quiet = 0
        self._cleanups: list[Callable[[], None]] = []
        self._loaded_at: object = None
        css(self, "aonb-form", css_class)

    # -- the main status line (the form's only one, for one-button forms) -------------------

    @property
    def status(self) -> widgets.HTML:
        """The main status line's widget."""
        return self.line.status

    @property
    def details(self) -> widgets.Output:
        """The main details area."""
        return self.line.details

    @property
    def status_kind(self) -> str:
        """The kind of the main status line: ``idle``, ``busy``, ``ok``, ``warn`` or ``error``."""
        return self.line.status_kind

    @property
    def status_text(self) -> str:
        """The main status line as plain text."""
        return self.line.status_text

    def set_status(self, kind: str, text: str) -> None:
        """Show a one-line status on the main line (escaped there)."""
        self.line.set_status(kind, text)

    def show_details(self, text: str | None) -> None:
        """Replace the main details area with plain text."""
        self.line.show_details(text)

    def _line(self, css_class: str) -> StatusLine:
        line = StatusLine(css_class)
        self.lines.append(line)
        return line

    # -- layout and state ------------------------------------------------------------------

    def _set_rows(self, rows: Iterable[Any], *, status_below: bool = True) -> None:
        """Lay the form out: its rows, then (unless the rows place it) the main status line."""
        tail = self.line.rows if status_below else ()
        self.children = (self.style_sheet, self.title, *rows, *tail)

    def _button(self, button: Any, ready: Callable[[], bool]) -> Any:  # noqa: ANN401
        """Register an action button: enabled only when not busy and ``ready()``."""
        self._buttons.append((button, ready))
        return button

    def _control(self, control: Any, enabled: Callable[[], bool] | None = None) -> Any:  # noqa: ANN401
        """Register an input: disabled while an action runs, and whenever ``enabled()`` is False."""
        self._controls.append((control, enabled or (lambda: True)))
        return control

    def refresh_buttons(self) -> None:
        """Enable each button when idle and ready, each input when idle and enabled."""
        for control, enabled in self._controls:
            control.disabled = self._busy or not enabled()
        for button, ready in self._buttons:
            button.disabled = self._busy or not ready()

    # -- what the user changed -------------------------------------------------------------

    @contextmanager
    def quietly(self) -> Iterator[None]:
        """Change inputs from code: the changes clear no status line and count as no edit."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def touched(self, control: Any) -> bool:  # noqa: ANN401
        """Whether the user changed ``control`` since the form was last reset."""
        return id(control) in self._touched

    def _untouch(self) -> None:
        self._touched.clear()

    def _watch(
        self, controls: Sequence[Any], *, clears: Sequence[StatusLine], then: Callable[[], None]
    ) -> None:
        """Follow the user's edits of ``controls``: mark them touched, clear ``clears``, call ``then()``.

        Pickers (anything with ``on_change``) are followed through it; other controls through
        their ``value`` trait.
        """

        def changed(control: Any) -> None:  # noqa: ANN401
            if self._quiet:
                return
            self._touched.add(id(control))
            for line in clears:
                line.clear()
            then()

        for control in controls:
            if hasattr(control, "on_change"):
                control.on_change(lambda _value, c=control: changed(c))
            else:
                control.observe(lambda _change, c=control: changed(c), "value")

    def _render_hint(
        self, hint: widgets.HTML, problems: Sequence[Problem], warnings: Sequence[str] = ()
    ) -> None:
        """Show ``problems``: red ✖ for inputs the user changed, neutral grey for the rest."""
        errors = [text for control, text in problems if control is not None and self.touched(control)]
        pending = [text for control, text in problems if control is None or not self.touched(control)]
        hint.value = hint_html(errors, list(warnings), pending)

    def _refuse(self, line: StatusLine, problems: Sequence[Problem], fallback: str) -> bool:
        """A submit that cannot be sent: mark its inputs touched (their hints turn red), say why."""
        for control, _text in problems:
            if control is not None:
                self._touched.add(id(control))
        line.set_status("error", f"not sent: {problems[0][1] if problems else fallback}")
        return False

    # -- the shared snapshot ---------------------------------------------------------------

    def _follow(
        self, snapshot: Snapshot | None, *, users: bool, what: str, changed: Callable[[bool], None]
    ) -> Snapshot:
        """Share ``snapshot`` (made if None), load it and call ``changed(refreshed)`` after each change.

        ``refreshed`` is True after a new drain (a Refresh), False after a local patch (a form's
        success). After a Refresh, error and warning lines are cleared first: they spoke of the
        list as it was.
        """
        shared = snapshot if snapshot is not None else Snapshot(self._client)

        def listener(current: Snapshot) -> None:
            refreshed = current.loaded_at != self._loaded_at
            self._loaded_at = current.loaded_at
            if refreshed:
                for line in self.lines:
                    if line.status_kind in ("error", "warn"):
                        line.clear()
            changed(refreshed)

        self._add_cleanup(shared.subscribe(listener))
        error = shared.load(users=users)
        self._loaded_at = shared.loaded_at
        if error is not None:
            self.set_status("error", f"could not load {what}: {describe_error(error)[0]}")
        return shared

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
        on_failure: Callable[[ActionOutcome], None] | None = None,
        line: StatusLine | None = None,
    ) -> bool:
        """Run one action through the runner (the loop of docs/DESIGN.md, R33).

        Args:
            action: calls one function of :mod:`._actions`.
            busy_text: shown while it runs.
            on_success: updates this form after a success (reset inputs, patch the snapshot).
            on_failure: updates this form after a failure (offer a way out); inputs are kept.
            line: the status line of the button that started it (default: the main line).

        Returns:
            False when ignored because an action is already running.
        """
        target = line if line is not None else self.line
        with self._lock:
            if self._busy:
                return False
            self._busy = True
            self._idle.clear()
        try:
            for other in self.lines:
                if other is not target:
                    other.clear()  # an earlier result of another button may not hold after this one
            self.refresh_buttons()
            target.set_status("busy", busy_text)
            target.show_details(None)
            self.runner.submit(lambda: self._job(action, target, on_success, on_failure))
        except BaseException:
            self._finish()
            raise
        return True

    def _job(
        self,
        action: Callable[[], ActionOutcome],
        line: StatusLine,
        on_success: Callable[[ActionOutcome], None] | None,
        on_failure: Callable[[ActionOutcome], None] | None,
    ) -> None:
        try:
            stop_watching = self._watch_retries(threading.get_ident(), line)
            try:
                outcome = action()
            except Exception as error:  # a bug, not an API error: shown, never swallowed silently
                message, _ = describe_error(error)
                outcome = ActionOutcome(False, message, traceback.format_exc(), error)
            finally:
                stop_watching()
            self.last_outcome = outcome
            line.set_status("ok" if outcome.ok else "error", outcome.message)
            line.show_details(outcome.detail)
            if outcome.ok:
                self._after(outcome, line, on_success, self.on_done)
            else:
                self._after(outcome, line, on_failure, None)
        finally:
            self._finish()

    def _after(
        self,
        outcome: ActionOutcome,
        line: StatusLine,
        hook: Callable[[ActionOutcome], None] | None,
        done: OnDone | None,
    ) -> None:
        try:
            with self.quietly():
                if hook is not None:
                    hook(outcome)
            if done is not None:
                done(outcome)
        except Exception as error:
            message, _ = describe_error(error)
            line.set_status("warn", f"{outcome.message}; but updating the view failed: {message}")
            line.show_details(traceback.format_exc())

    def _finish(self) -> None:
        with self._lock:
            self._busy = False
        try:
            self.refresh_buttons()
        finally:
            self._idle.set()

    def _watch_retries(self, thread_id: int, line: StatusLine) -> Callable[[], None]:
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
                line.set_status("warn", f"rate limited, retrying in {seconds} s")
            else:
                line.set_status("warn", f"no answer from the service, retrying in {seconds} s")

        return self._client.transport.add_listener(listener)


class SnapshotForm(FormView):
    """A form on the shared snapshot: it builds its widgets, then follows the snapshot.

    Subclasses set the class attributes and implement :meth:`_build` (make the widgets, call
    :meth:`_set_rows`) and :meth:`_snapshot_changed` (also called once when the form is built).

    Args:
        client: the client.
        snapshot: the shared organizations (and users): a new one is made, and drained, if None.
        on_done: called with the outcome after each successful action.
        runner: how actions run (default: a background thread).
    """

    TITLE = ""
    CSS_CLASS = ""
    STATUS_CLASS = "aonb-main-status"
    USERS = False
    """Whether the form needs the users too."""
    LOADS = "the organizations"
    """What a failed first load could not load (for the status line)."""

    def __init__(
        self,
        client: ArizeOrgs,
        *,
        snapshot: Snapshot | None = None,
        on_done: OnDone | None = None,
        runner: Runner | None = None,
    ) -> None:
        super().__init__(
            client,
            title=self.TITLE,
            css_class=self.CSS_CLASS,
            runner=runner,
            on_done=on_done,
            status_class=self.STATUS_CLASS,
        )
        self.snapshot = snapshot if snapshot is not None else Snapshot(client)
        self._build()
        self._follow(self.snapshot, users=self.USERS, what=self.LOADS, changed=self._snapshot_changed)
        self._snapshot_changed(False)

    def _build(self) -> None:
        raise NotImplementedError

    def _snapshot_changed(self, refreshed: bool) -> None:
        """Follow the shared snapshot (``refreshed``: after a new drain, not a local patch)."""
        raise NotImplementedError


def _close_tree(widget: Any) -> None:  # noqa: ANN401
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()
