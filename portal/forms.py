"""Validators and fields shared by every area's forms."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from flask import abort
from flask_wtf import FlaskForm
from wtforms import Field, Form, PasswordField, SelectChoice, SelectMultipleField, StringField, URLField, widgets
from wtforms import IntegerField as WTFormsIntegerField
from wtforms import RadioField as WTFormsRadioField
from wtforms import SelectField as WTFormsSelectField
from wtforms.validators import URL, DataRequired, Email, EqualTo, Length, Optional, ValidationError


def choices(pairs: Any) -> list[SelectChoice]:
    """``[(value, label), ...]`` as WTForms 3.3+ wants choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def local_text(at: datetime | None, zone: tzinfo) -> str:
    """A moment as a date field shows it, in the workshop's zone: ``2026-12-20T23:59`` (what a datetime-local input
    takes); "" for none."""
    return at.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if at else ""


class LocalDateTimeField(StringField):
    """A date and time in the workshop's zone, as a ``datetime-local`` input: a date and time picker where the
    browser has one, and text (``2026-12-20 23:59`` or ``2026-12-20T23:59``) anywhere; parsed by
    ``services.settings.parse_local``, which says what is wrong with anything else."""

    widget = widgets.DateTimeLocalInput()


#: The most digits a whole number typed in a form may have (every count and limit here has far fewer).
MAX_DIGITS = 12


class IntegerField(WTFormsIntegerField):
    """WTForms' IntegerField, refusing a number of more than ``MAX_DIGITS`` digits as a form error. WTForms'
    ``NumberRange`` asks ``math.isnan`` of the number, which raises OverflowError (a 500) past 1e308: every form
    of the portal uses this field, so no range check ever sees such a number."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and len(str(valuelist[0]).strip().lstrip("+-")) > MAX_DIGITS:
            self.data = None
            raise ValueError(f"Enter a number of at most {MAX_DIGITS} digits.")
        super().process_formdata(valuelist)


NOT_A_CHOICE = "Not a valid choice."


class _ChoiceMessage(Field):
    """A choice field whose value cannot be read as a choice (``coerce`` failed: "x" for a number) says what a
    choice that is not offered says, not WTForms' "Invalid Choice: could not coerce."."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(self.gettext(NOT_A_CHOICE)) from exc


class SelectField(_ChoiceMessage, WTFormsSelectField):
    """WTForms' SelectField with the portal's message for a value that is not a choice (every form uses it)."""


class RadioField(_ChoiceMessage, WTFormsRadioField):
    """WTForms' RadioField with the portal's message for a value that is not a choice (every form uses it)."""


class MultiCheckboxField(_ChoiceMessage, SelectMultipleField):
    """A list of checkboxes (a fieldset of choices), usable without JavaScript."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def unix_newlines(value: Any) -> Any:
    """Browsers send textarea line breaks as CRLF; store plain LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 MOD 11-2 over the 16 characters of an ORCID iD (``0000-0002-1825-0097``)."""
    digits = orcid.replace("-", "")
    if len(digits) != 16 or not digits[:15].isdigit():
        return False
    total = 0
    for ch in digits[:15]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    return digits[15].upper() == ("X" if check == 10 else str(check))


def normalize_orcid(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = value.strip()
    for prefix in ("https://orcid.org/", "http://orcid.org/", "orcid.org/"):
        if value.lower().startswith(prefix):
            value = value[len(prefix) :]
    return value.upper()


def valid_orcid(form: Form, field: Field) -> None:
    if field.data and not (len(field.data) == 19 and field.data.count("-") == 3 and orcid_checksum_ok(field.data)):
        raise ValidationError("This is not a valid ORCID iD: check the 16 digits (like 0000-0002-1825-0097).")


def good_password(form: Form, field: Field) -> None:
    from portal.passwords import password_problem

    context = tuple(str(getattr(form, name).data or "") for name in ("name", "email") if hasattr(form, name))
    problem = password_problem(field.data or "", context=context)
    if problem:
        raise ValidationError(problem)


def current_password(form: Form, field: Field) -> None:
    """The signed-in person's password, asked again before a sensitive change. A wrong one counts toward the
    sign-in limits (the view keeps the record: ``keep_failed_attempts``); past them even the right one waits."""
    from flask_login import current_user

    from portal.services.accounts import SignInRefused, check_current_password
    from portal.templating import format_datetime
    from portal.urls import client_ip

    if not current_user.is_authenticated:
        raise ValidationError("This is not your current password.")
    try:
        check_current_password(current_user._get_current_object(), field.data or "", ip=client_ip())
    except SignInRefused as exc:
        form.failed_attempt = True  # type: ignore[attr-defined]
        when = f" Try again after {format_datetime(exc.retry_at)}." if exc.retry_at else ""
        raise ValidationError(f"{exc}{when}") from exc


def single_line(form: Form, field: Field) -> None:
    """Refuse CR, LF and other control characters in fields that may reach a mail header."""
    if isinstance(field.data, str) and any(ord(c) < 32 or c in "\x7f\u2028\u2029\x85" for c in field.data):
        raise ValidationError("Use a single line, without line breaks or control characters.")


class ButtonForm(FlaskForm):
    """An empty form: a CSRF-protected button (sign out, accept, decline)."""


def require_button() -> None:
    """POST endpoints behind a CSRF-protected button: a forged or missing token is the 400 page."""
    if not ButtonForm().validate_on_submit():
        abort(400)


# --- fields every area's account forms share ---------------------------------------------------------------

EMAIL_VALIDATORS = [
    DataRequired("Give your email address."),
    single_line,
    Length(max=320),
    Email("This does not look like an email address (name@example.org)."),
]
NAME_VALIDATORS = [DataRequired("Give your full name."), single_line, Length(max=200)]


class ProfileFieldsMixin:
    name = StringField("Full name", filters=[strip], validators=NAME_VALIDATORS)
    affiliation = StringField(
        "Affiliation",
        filters=[strip],
        description="Your university, lab or company.",
        validators=[DataRequired("Give your affiliation (or “Independent researcher”)."), single_line, Length(max=300)],
    )
    orcid = StringField(
        "ORCID iD (optional)",
        filters=[normalize_orcid],
        description="Like 0000-0002-1825-0097.",
        validators=[Optional(), single_line, Length(max=40), valid_orcid],
    )
    homepage = URLField(
        "Homepage (optional)",
        filters=[strip],
        validators=[Optional(), single_line, Length(max=500), URL(message="Give a full web address (https://…).")],
    )


def new_password_fields(label: str = "New password", help_text: str = "") -> tuple[PasswordField, PasswordField]:
    """A password under the policy and its repetition: every form that sets a password uses these."""
    password = PasswordField(
        label,
        description=help_text or "At least 12 characters; a phrase of a few words works well.",
        validators=[DataRequired("Choose a password."), good_password],
    )
    confirm = PasswordField(
        f"Repeat the {label.lower()}",
        validators=[DataRequired("Repeat the password."), EqualTo("password", "The two passwords differ.")],
    )
    return password, confirm
