"""A sponsor's people settings: invitations (how an admin brings a person in) and the sign-in
rules every member follows."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from audit.trail import AuditedQuerySet, AuditedRecords

from .log import Role, Sponsor, SponsorOwned


def token_digest(token):
    """What is stored of an invitation token: its SHA-256, so the table alone opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(SponsorOwned):
    """A pending (or accepted) invitation of an e-mail address to the sponsor, with a role.

    The link carries a random token; only its digest is stored, it expires after
    settings.INVITATION_VALID_FOR and works once (accepted_at set under a row lock).
    """

    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    # The digest is not a secret, but nothing reads it from the trail: keep it out.
    history = AuditedRecords(excluded_fields=["token_digest"])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "sponsor",
                Lower("email"),
                condition=Q(accepted_at__isnull=True),
                name="invitation_one_pending_per_email",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="invitation_role_valid"),
        ]

    def __str__(self):
        return f"Invitation of {self.email} to {self.sponsor_id} ({self.get_role_display()})"

    def new_token(self, now=None):
        """A fresh token (returned once, for the link) and a fresh expiry; the old link dies."""
        now = now or timezone.now()
        token = secrets.token_urlsafe(32)
        self.token_digest = token_digest(token)
        self.expires_at = now + settings.INVITATION_VALID_FOR
        return token

    def is_expired(self, now=None):
        return (now or timezone.now()) >= self.expires_at

    @property
    def is_pending(self):
        return self.accepted_at is None


class SponsorSecurityPolicy(models.Model):
    """A sponsor's sign-in rules, set by its admins. No row means the defaults (all off).

    Read by accounts.two_factor through `sponsor.security_policy`; the table keeps the name it
    had when the model lived in accounts (moved state-only, engagements 0008).
    """

    sponsor = models.OneToOneField(
        Sponsor, on_delete=models.CASCADE, related_name="security_policy"
    )
    require_two_factor = models.BooleanField(
        default=False,
        help_text="Members must sign in with a code from an authenticator app.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = AuditedQuerySet.as_manager()
    history = AuditedRecords()

    class Meta:
        db_table = "accounts_sponsorsecuritypolicy"
        verbose_name_plural = "sponsor security policies"

    def __str__(self):
        return f"Security policy of {self.sponsor}"
