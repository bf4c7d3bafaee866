from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from portal.forms import EMAIL_VALIDATORS, ProfileFieldsMixin, new_password_fields, strip


class RegisterForm(ProfileFieldsMixin, FlaskForm):
    email = EmailField(
        "Email", filters=[strip], validators=EMAIL_VALIDATORS, description="We send a link to confirm it before you can sign in."
    )
    password, confirm = new_password_fields("Password")

    def to_input(self) -> dict[str, Any]:
        """What ``accounts.register_user`` takes (besides the invitation)."""
        return {name: self[name].data for name in ("email", "name", "affiliation", "password", "orcid", "homepage")}


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
