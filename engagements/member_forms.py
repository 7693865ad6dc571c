"""Forms of the Members page (invite, change a role), of accepting an invitation, and of a
sponsor's sign-in rules."""

from django import forms
from django.contrib.auth import get_user_model, password_validation

from .models import Invitation, Membership, Role, SponsorSecurityPolicy


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address", max_length=254)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)

    def __init__(self, *args, sponsor, **kwargs):
        super().__init__(*args, **kwargs)
        self.sponsor = sponsor

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if Membership.objects.filter(sponsor=self.sponsor, user__email__iexact=email).exists():
            raise forms.ValidationError("Someone with this e-mail address is already a member.")
        pending = Invitation.objects.filter(
            sponsor=self.sponsor, email__iexact=email, accepted_at__isnull=True
        )
        if pending.exists():
            raise forms.ValidationError(
                "This address already has an invitation: send it again from the list below."
            )
        return email


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class NewAccountForm(forms.ModelForm):
    """The account an invitation creates: a name and a password (Django's validators)."""

    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = get_user_model()
        fields = ["first_name", "last_name"]

    def __init__(self, *args, email, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.email = email
        self.instance.username = email.lower()
        self.fields["first_name"].required = True

    def clean(self):
        cleaned = super().clean()
        one, two = cleaned.get("password1"), cleaned.get("password2")
        if one and two and one != two:
            self.add_error("password2", "The two passwords differ.")
        elif one:
            self.instance.first_name = cleaned.get("first_name", "")
            self.instance.last_name = cleaned.get("last_name", "")
            try:
                password_validation.validate_password(one, self.instance)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        model = get_user_model()
        if model.objects.filter(username__iexact=self.instance.username).exists():
            raise forms.ValidationError(
                "An account with this e-mail address already exists: sign in to accept."
            )
        return cleaned

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
        return user


class SponsorSecurityForm(forms.ModelForm):
    class Meta:
        model = SponsorSecurityPolicy
        fields = ["require_two_factor"]
        labels = {"require_two_factor": "Require two-factor sign-in for every member"}
