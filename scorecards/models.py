"""What is computed from the engagement log. Nothing here is typed in by a person."""

from django.db import models


class ProjectActivity(models.Model):
    """Per-project contact figures, denormalised for the portfolio and "My work" pages.

    `is_stale` is set in the same transaction as any write to the project's communications;
    the recompute task clears it, and the sweep recomputes whatever a lost enqueue left stale.
    """

    project = models.OneToOneField(
        "engagements.Project", on_delete=models.CASCADE, related_name="activity"
    )
    sponsor = models.ForeignKey("engagements.Sponsor", on_delete=models.CASCADE, related_name="+")
    last_contact_at = models.DateTimeField(null=True)
    last_inbound_at = models.DateTimeField(null=True)
    last_outbound_at = models.DateTimeField(null=True)
    communication_count = models.PositiveIntegerField(default=0)
    is_stale = models.BooleanField(default=True)
    computed_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name_plural = "project activity"
        indexes = [
            models.Index(
                fields=["is_stale"], name="activity_stale", condition=models.Q(is_stale=True)
            ),
            models.Index(fields=["sponsor", "-last_contact_at"]),
        ]

    def __str__(self):
        return f"activity of project {self.project_id}"
