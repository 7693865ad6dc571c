"""Forms for the signed-in user's own settings and two-factor codes."""

from django import forms

from .models import User
from .timezones import time_zone_choices


class PreferencesForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=time_zone_choices)

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "time_zone", "single_key_shortcuts"]


class CodeForm(forms.Form):
    """The six-digit code from an authenticator app."""

    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the six digits your app shows.")
        return code


class SetupCodeForm(CodeForm):
    """The first code of a new authenticator app, and whether to end the password-only
    sessions the user has elsewhere (a stolen password's session would otherwise stay in)."""

    end_other_sessions = forms.BooleanField(
        label="Sign me out everywhere else I signed in with the password only",
        initial=True,
        required=False,
    )
