"""Password validators Django does not ship."""

from django.core.exceptions import ValidationError


class MaximumLengthValidator:
    """Refuse passwords over `max_length` characters (ASVS 2.1.2: at least 64 allowed, up to 128).

    Long passphrases are welcome; the cap only keeps hashing cost and request size bounded.
    """

    def __init__(self, max_length=128):
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(
                "This password is too long: use at most %(max_length)d characters.",
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self):
        return f"Your password can be up to {self.max_length} characters long."
