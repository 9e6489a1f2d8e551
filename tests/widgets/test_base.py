"""The pieces every form shares: the busy spinner and its style sheet, Enter, the status lines."""

import re
import warnings

import ipywidgets as widgets

from arize_orgs_nb.widgets import CreateOrgForm, MemberRoleForm, UpdateOrgForm
from arize_orgs_nb.widgets._base import CODE_DETAILS, STYLE_HTML, StatusLine, on_enter
from arize_orgs_nb.widgets._messages import SPINNER_CSS, status_html

from .conftest import press_enter, visible_text


def test_the_busy_mark_is_a_css_spinner_not_an_emoji():
    markup = status_html("busy", "creating “x”…")
    assert 'class="aonb-spinner"' in markup and "⏳" not in markup
    assert "border-radius:50%" in markup  # drawn inline: a ring even before the sheet loads
    assert visible_text(markup).strip() == "creating “x”…"


def test_the_style_sheet_is_class_scoped_and_holds_no_data():
    assert f"<style>{SPINNER_CSS}</style>" == STYLE_HTML
    assert "@keyframes aonb-spin" in SPINNER_CSS and "animation:aonb-spin" in SPINNER_CSS
    selectors = re.findall(r"(?:^|})\s*([^{}@][^{}]*)\{", SPINNER_CSS.replace("@media", "}@media"))
    assert selectors and all(s.strip().startswith(".aonb-") for s in selectors), selectors


def test_each_form_carries_the_sheet_once_hidden(wclient, sync):
    for form in (
        CreateOrgForm(wclient, runner=sync),
        UpdateOrgForm(wclient, runner=sync),
        MemberRoleForm(wclient, runner=sync),
    ):
        sheets = [c for c in form.children if isinstance(c, widgets.HTML) and c.value == STYLE_HTML]
        assert sheets == [form.style_sheet] and form.style_sheet.layout.display == "none"
        form.close()


def test_enter_is_the_front_ends_submit_message_and_nothing_else():
    text = widgets.Text(continuous_update=True)
    calls = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the deprecated Text.on_submit is not used
        on_enter(text, lambda: calls.append(text.value))
    text.value = "typed"  # typing, and the value a blur commits: no submit
    text._handle_custom_msg({"event": "click"}, [])
    assert calls == []
    press_enter(text)
    assert calls == ["typed"]


def test_a_status_line_clears_with_its_details():
    line = StatusLine("aonb-x-status")
    line.set_status("error", "failed")
    line.show_details("the long story")
    line.clear()
    assert (line.status_kind, line.status_text, line.details.outputs) == ("idle", "", ())
    assert "aonb-status" in line.status._dom_classes and "aonb-x-status" in line.status._dom_classes


def test_details_read_as_text_and_a_traceback_as_code():
    line = StatusLine("aonb-x-status")
    line.show_details("Cannot be undone from here: the previous role is unknown.")
    assert "aonb-details" in line.details._dom_classes and CODE_DETAILS not in line.details._dom_classes
    assert ".aonb-details:not(.aonb-details-code) pre{font-family:var(--jp-ui-font-family" in SPINNER_CSS
    line.show_details("Traceback (most recent call last):\n  File ...")
    assert CODE_DETAILS in line.details._dom_classes  # fixed-width, as Python prints it
    line.show_details("the long story")
    assert CODE_DETAILS not in line.details._dom_classes
