"""The engagement log: sponsors, memberships, CDMOs, projects, communications, requests.

Every tenant-owned row carries `sponsor_id` itself, copied from its parent when created and
checked so that a child never points at another sponsor's parent.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.timezones import validate_time_zone
from audit.trail import AuditedQuerySet, AuditedRecords

from .fields import SearchDocument, SearchDocumentField


class Sponsor(models.Model):
    """The tenant: a biotech and everything it records about its CDMOs."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuditedQuerySet.as_manager()
    history = AuditedRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Project manager"
    EXECUTIVE = "executive", "Executive"
    VIEWER = "viewer", "Viewer"


WRITE_ROLES = {Role.ADMIN, Role.MANAGER}


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    sponsor = models.ForeignKey(Sponsor, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuditedQuerySet.as_manager()
    history = AuditedRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "sponsor"], name="membership_unique_user"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self):
        return f"{self.user} · {self.sponsor} ({self.get_role_display()})"

    @property
    def can_write(self):
        return self.role in WRITE_ROLES

    @property
    def is_admin(self):
        return self.role == Role.ADMIN


class SponsorQuerySet(AuditedQuerySet):
    def for_sponsor(self, sponsor):
        return self.filter(sponsor=sponsor)

    def bulk_create(self, objs, *args, **kwargs):
        """As on save(): each row takes its parent's sponsor and is checked against its parents."""
        objs = list(objs)
        for obj in objs:
            obj.check_sponsor()
        return super().bulk_create(objs, *args, **kwargs)


class SponsorOwned(models.Model):
    """Abstract base of every tenant-owned row.

    `sponsor_parent` names the foreign key the sponsor is copied from on creation.
    """

    sponsor = models.ForeignKey(Sponsor, on_delete=models.PROTECT, editable=False, related_name="+")

    objects = SponsorQuerySet.as_manager()

    sponsor_parent: str | None = None

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.check_sponsor()
        super().save(*args, **kwargs)

    def check_sponsor(self):
        """Copy the sponsor from the parent when it is missing, then check every parent."""
        if self.sponsor_id is None and self.sponsor_parent:
            parent = getattr(self, self.sponsor_parent)
            self.sponsor_id = parent.sponsor_id
        self.check_same_sponsor()

    def check_same_sponsor(self):
        """Refuse a row whose parents belong to another sponsor."""
        computed = getattr(self, "computed_fields", ())
        for field in self._meta.concrete_fields:
            # A computed relation is copied from a parent checked here: nothing of its own.
            if not field.is_relation or field.name == "sponsor" or field.name in computed:
                continue
            if not issubclass(field.related_model, SponsorOwned):
                continue
            if getattr(self, field.attname) is None:
                continue
            parent = getattr(self, field.name)
            if parent.sponsor_id != self.sponsor_id:
                raise ValidationError({field.name: "Belongs to another sponsor."})


class CDMOStatus(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    OFFBOARDED = "offboarded", "Offboarded"


class CDMO(SponsorOwned):
    Status = CDMOStatus

    name = models.CharField(max_length=200)
    website = models.URLField(blank=True)
    email_domains = models.CharField(
        max_length=500, blank=True, help_text="Comma-separated, e.g. lonza.com, lonza.ch"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    modalities = models.CharField(
        max_length=500, blank=True, help_text="e.g. mAbs, ADCs, cell therapy, small molecule"
    )
    services = models.CharField(
        max_length=500, blank=True, help_text="e.g. process development, fill-finish"
    )
    notes = models.TextField(blank=True, max_length=10000)
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditedRecords()

    class Meta:
        verbose_name = "CDMO"
        verbose_name_plural = "CDMOs"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["sponsor", "name"], name="cdmo_unique_name"),
            models.CheckConstraint(
                condition=Q(status__in=CDMOStatus.values),
                name="cdmo_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["sponsor", "status", "name"])]

    def __str__(self):
        return self.name


class Site(SponsorOwned):
    """A CDMO location; its time zone and country decide the CDMO's working days."""

    cdmo = models.ForeignKey(
        CDMO, on_delete=models.CASCADE, related_name="sites", verbose_name="CDMO"
    )
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, help_text="ISO 3166 code, e.g. CH")
    subdivision = models.CharField(max_length=10, blank=True, help_text="e.g. BS, CA")
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])

    sponsor_parent = "cdmo"
    history = AuditedRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["cdmo", "name"], name="site_unique_name"),
        ]
        indexes = [models.Index(fields=["sponsor", "cdmo"])]

    def __str__(self):
        return f"{self.cdmo.name} — {self.name}"


class Contact(SponsorOwned):
    cdmo = models.ForeignKey(
        CDMO, on_delete=models.CASCADE, related_name="contacts", verbose_name="CDMO"
    )
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    function = models.CharField(
        max_length=100, blank=True, help_text="e.g. project management, QA, MSAT"
    )

    sponsor_parent = "cdmo"
    history = AuditedRecords()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["sponsor", "cdmo", "name"])]

    def __str__(self):
        return self.name


class Project(SponsorOwned):
    class ServiceType(models.TextChoices):
        PROCESS_DEVELOPMENT = "process_development", "Process development"
        ANALYTICAL = "analytical", "Analytical"
        TECH_TRANSFER = "tech_transfer", "Tech transfer"
        CLINICAL_MANUFACTURING = "clinical_manufacturing", "Clinical manufacturing"
        COMMERCIAL_MANUFACTURING = "commercial_manufacturing", "Commercial manufacturing"
        FILL_FINISH = "fill_finish", "Fill-finish"
        OTHER = "other", "Other"

    class Phase(models.TextChoices):
        PRECLINICAL = "preclinical", "Preclinical"
        PHASE_1 = "phase_1", "Phase 1"
        PHASE_2 = "phase_2", "Phase 2"
        PHASE_3 = "phase_3", "Phase 3"
        COMMERCIAL = "commercial", "Commercial"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTIVE = "active", "Active"
        ON_HOLD = "on_hold", "On hold"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    cdmo = models.ForeignKey(
        CDMO, on_delete=models.PROTECT, related_name="projects", verbose_name="CDMO"
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        related_name="projects",
        null=True,
        blank=True,
        help_text="The site whose working days the CDMO's SLA clocks follow.",
    )
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=40)
    service_type = models.CharField(max_length=32, choices=ServiceType.choices)
    phase = models.CharField(max_length=16, choices=Phase.choices, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_projects",
        help_text="The sponsor's project manager.",
    )
    # PROTECT, not SET_NULL: Django's SET_NULL is an UPDATE without a version, so the project
    # names another contact first (a change its trail keeps).
    spoc = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="spoc_of",
        verbose_name="single point of contact",
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    sla_policy = models.ForeignKey(
        "SLAPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name="SLA policy",
        help_text="Blank: the sponsor's default policy.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    sponsor_parent = "cdmo"
    history = AuditedRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["sponsor", "code"], name="project_unique_code"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="project_dates_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["sponsor", "status", "name"]),
            models.Index(fields=["sponsor", "owner"]),
            models.Index(fields=["sponsor", "cdmo"]),
        ]

    def __str__(self):
        return f"{self.code} · {self.name}"

    def save(self, *args, **kwargs):
        adding = self._state.adding
        super().save(*args, **kwargs)
        if not adding:
            # Its communications carry its CDMO (Communication.cdmo). On PostgreSQL the key on
            # (project, cdmo) has already moved them (ON UPDATE CASCADE, migration 0007), on
            # every write path; this covers the other databases' save().
            Communication.objects.filter(sponsor_id=self.sponsor_id, project=self).exclude(
                cdmo_id=self.cdmo_id
            ).update_computed(cdmo=self.cdmo_id)

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The end date is before the start date."})
        if self.site_id and self.cdmo_id and self.site.cdmo_id != self.cdmo_id:
            raise ValidationError({"site": "This site belongs to another CDMO."})
        if self.spoc_id and self.cdmo_id and self.spoc.cdmo_id != self.cdmo_id:
            raise ValidationError({"spoc": "The single point of contact must work at this CDMO."})


class Request(SponsorOwned):
    """An ask: something the sponsor needs the CDMO to answer or do."""

    class Category(models.TextChoices):
        QUESTION = "question", "Question"
        TECHNICAL_QUERY = "technical_query", "Technical query"
        DOCUMENT_REQUEST = "document_request", "Document request"
        QUOTE = "quote", "Quote / RFP"
        SITE_VISIT = "site_visit", "Site-visit request"
        QUALITY = "quality", "Quality / deviation"
        SCHEDULE_CHANGE = "schedule_change", "Schedule change"
        ESCALATION = "escalation", "Escalation"
        OTHER = "other", "Other"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        WAITING_ON_SPONSOR = "waiting_on_sponsor", "Waiting on sponsor"
        RESOLVED = "resolved", "Resolved"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATUSES = (Status.OPEN, Status.WAITING_ON_SPONSOR)

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="requests")
    title = models.CharField(max_length=500)  # a request opened from a message takes its subject
    category = models.CharField(max_length=32, choices=Category.choices, default=Category.QUESTION)
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_by_cdmo = models.BooleanField(
        default=False, help_text="Opened from an inbound communication: no first-response clock."
    )
    # The SLA terms in force when it opened; editing a policy or calendar never moves history.
    policy_version = models.ForeignKey(
        "PolicyVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
    )
    calendar_snapshot = models.JSONField(default=dict, blank=True)
    clocks_stale = models.BooleanField(default=True)
    # A digest of the last stored clocks: an unchanged recompute writes nothing.
    clocks_fingerprint = models.CharField(max_length=40, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    sponsor_parent = "project"
    # Derived from the facts by scorecards.recompute: outside the trail, written only through
    # Request.objects.update_computed().
    computed_fields = ("clocks_stale", "clocks_fingerprint")
    history = AuditedRecords(excluded_fields=list(computed_fields))

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("opened_at")),
                name="request_resolved_after_opened",
            ),
        ]
        indexes = [
            models.Index(fields=["sponsor", "status", "-opened_at"]),
            models.Index(fields=["sponsor", "project", "status"]),
            models.Index(
                fields=["id"], name="request_clocks_stale", condition=Q(clocks_stale=True)
            ),
            # The search lists matches newest first (engagements/search.py).
            models.Index(fields=["sponsor", "-opened_at", "-id"], name="request_recent"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES


class CommunicationDirection(models.TextChoices):
    OUTBOUND = "outbound", "Sponsor → CDMO"
    INBOUND = "inbound", "CDMO → sponsor"


class Communication(SponsorOwned):
    """One logged interaction with a CDMO on a project."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        CALL = "call", "Call"
        MEETING = "meeting", "Meeting"
        VIDEO = "video", "Video call"
        PORTAL = "portal", "Portal"
        SITE_VISIT = "site_visit", "Site visit"
        OTHER = "other", "Other"

    Direction = CommunicationDirection

    SUMMARY_MAX_LENGTH = 20000

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="communications")
    # The project's CDMO, copied so that a CDMO's timeline reads one index instead of joining a
    # million rows through projects (SPEC §6). Never typed: set from the project on every save;
    # on PostgreSQL a foreign key on (project_id, cdmo_id) → project (id, cdmo_id), ON UPDATE
    # CASCADE, keeps it equal to the project's CDMO whatever writes (migration 0007), hence no
    # constraint of its own here. Outside the trail: the project's versions record its CDMO.
    cdmo = models.ForeignKey(
        CDMO,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        editable=False,
        related_name="+",
        verbose_name="CDMO",
    )
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    occurred_at = models.DateTimeField()
    subject = models.CharField(max_length=500)
    summary = models.TextField(blank=True, max_length=SUMMARY_MAX_LENGTH)
    participants = models.ManyToManyField(Contact, blank=True, related_name="communications")
    needs_response = models.BooleanField(
        default=False, help_text="The sponsor expects the CDMO to answer this."
    )
    requests = models.ManyToManyField(Request, blank=True, related_name="communications")
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    logged_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # Rendered into the log form: the same form submitted twice (a double click, a retry after
    # a timeout) logs one communication, not two.
    submission_key = models.UUIDField(null=True, blank=True, editable=False)
    # What the search box matches (engagements/search.py), computed by the database.
    search_document = models.GeneratedField(
        expression=SearchDocument("subject", "summary"),
        output_field=SearchDocumentField(),
        db_persist=True,
    )

    sponsor_parent = "project"
    computed_fields = ("cdmo",)
    history = AuditedRecords(
        m2m_fields=[participants, requests],
        excluded_fields=[*computed_fields, "search_document"],
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=CommunicationDirection.values),
                name="communication_direction_valid",
            ),
            models.CheckConstraint(
                condition=Q(direction="outbound") | Q(needs_response=False),
                name="communication_only_outbound_needs_response",
            ),
            models.UniqueConstraint(
                fields=["sponsor", "submission_key"],
                condition=Q(submission_key__isnull=False),
                name="communication_submitted_once",
            ),
        ]
        indexes = [
            models.Index(
                fields=["sponsor", "project", "-occurred_at", "-id"], name="comm_timeline"
            ),
            models.Index(fields=["sponsor", "-occurred_at"], name="comm_recent"),
            models.Index(
                fields=["sponsor", "cdmo", "-occurred_at", "-id"], name="comm_cdmo_timeline"
            ),
        ]

    def __str__(self):
        return self.subject

    def check_sponsor(self):
        if self.project_id is not None:
            self.cdmo_id = self.project.cdmo_id
        super().check_sponsor()

    @property
    def is_inbound(self):
        return self.direction == self.Direction.INBOUND

    @property
    def is_closed(self):
        """Attached only to closed requests: changing it needs a reason, kept in the trail."""
        statuses = [request.status for request in self.requests.all()]
        return bool(statuses) and not any(s in Request.OPEN_STATUSES for s in statuses)

    @property
    def is_backdated(self):
        """Logged more than a day after it happened: shown as such on the timeline."""
        return (self.logged_at - self.occurred_at).total_seconds() > 86400


class Pause(SponsorOwned):
    """A period in which a request waits on the sponsor: every CDMO clock stops counting."""

    class Reason(models.TextChoices):
        INFORMATION = "information", "Information"
        DOCUMENTS = "documents", "Documents"
        DECISION = "decision", "Decision"
        MATERIALS = "materials", "Samples / materials"
        PAYMENT = "payment", "Payment"
        OTHER = "other", "Other"

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason_category = models.CharField(max_length=16, choices=Reason.choices)
    reason = models.CharField(max_length=500)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    sponsor_parent = "request"
    history = AuditedRecords()

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="pause_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["request"], condition=Q(ended_at__isnull=True), name="pause_one_open"
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_category_display()}: {self.reason}"


class RequestEvent(SponsorOwned):
    """A change of a request's life: resolved, reopened, cancelled or reclassified, and when."""

    class Kind(models.TextChoices):
        RESOLVED = "resolved", "Resolved"
        REOPENED = "reopened", "Reopened"
        CANCELLED = "cancelled", "Cancelled"
        RECLASSIFIED = "reclassified", "Category or priority changed"

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    category = models.CharField(max_length=32, blank=True)
    priority = models.CharField(max_length=16, blank=True)
    note = models.CharField(max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    sponsor_parent = "request"
    history = AuditedRecords()

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["sponsor", "request", "occurred_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"
