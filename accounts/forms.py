"""Forms for the signed-in user's own settings, two-factor codes and a sponsor's sign-in rules."""

from django import forms

from .models import SponsorSecurityPolicy, User
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


class SponsorSecurityForm(forms.ModelForm):
    class Meta:
        model = SponsorSecurityPolicy
        fields = ["require_two_factor"]
        labels = {"require_two_factor": "Require two-factor sign-in for every member"}
