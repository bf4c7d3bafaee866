from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, URLField
from wtforms.validators import URL, DataRequired, Email, EqualTo, Length, Optional

from portal.forms import good_password, normalize_orcid, single_line, strip, valid_orcid

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


class RegisterForm(ProfileFieldsMixin, FlaskForm):
    email = EmailField(
        "Email", filters=[strip], validators=EMAIL_VALIDATORS, description="We send a link to confirm it before you can sign in."
    )
    password, confirm = new_password_fields("Password")


class LoginForm(FlaskForm):
    email = EmailField("Email", filters=[strip], validators=[DataRequired("Give your email address."), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired("Give your password."), Length(max=1024)])
    remember = BooleanField("Keep me signed in on this device for 30 days")


class EmailOnlyForm(FlaskForm):
    email = EmailField("Email", filters=[strip], validators=EMAIL_VALIDATORS)


class ConfirmAccountForm(FlaskForm):
    password = PasswordField(
        "The password you chose when registering", validators=[DataRequired("Give the password you chose when registering.")]
    )


class NewPasswordForm(FlaskForm):
    password, confirm = new_password_fields()


class ButtonForm(FlaskForm):
    """An empty form: a CSRF-protected button (sign out, accept, decline)."""
