"""Forms for the signed-in user's own settings."""

from django import forms

from .models import User
from .timezones import time_zone_choices


class PreferencesForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=time_zone_choices)

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "time_zone"]
