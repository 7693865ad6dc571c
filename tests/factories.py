"""factory_boy factories; related objects always share one sponsor."""

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import User
from engagements.models import (
    CDMO,
    Communication,
    Contact,
    Invitation,
    Membership,
    Project,
    Request,
    Role,
    Site,
    Sponsor,
)
from engagements.models.people import token_digest


def minutes_ago(minutes):
    return timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=minutes)


class SponsorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sponsor

    name = factory.Sequence(lambda n: f"Sponsor {n}")
    slug = factory.Sequence(lambda n: f"sponsor-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    time_zone = "Europe/Berlin"
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    sponsor = factory.SubFactory(SponsorFactory)
    role = Role.MANAGER


class CDMOFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CDMO

    sponsor = factory.SubFactory(SponsorFactory)
    name = factory.Sequence(lambda n: f"CDMO {n}")
    modalities = "mAbs"
    services = "Process development"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    cdmo = factory.SubFactory(CDMOFactory)
    sponsor = factory.LazyAttribute(lambda o: o.cdmo.sponsor)
    name = factory.Sequence(lambda n: f"Site {n}")
    country = "CH"
    subdivision = "BS"
    time_zone = "Europe/Zurich"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    cdmo = factory.SubFactory(CDMOFactory)
    sponsor = factory.LazyAttribute(lambda o: o.cdmo.sponsor)
    name = factory.Faker("name")
    title = "Project Manager"
    email = factory.Sequence(lambda n: f"contact{n}@cdmo.example")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    cdmo = factory.SubFactory(CDMOFactory)
    sponsor = factory.LazyAttribute(lambda o: o.cdmo.sponsor)
    site = factory.SubFactory(SiteFactory, cdmo=factory.SelfAttribute("..cdmo"))
    spoc = factory.SubFactory(ContactFactory, cdmo=factory.SelfAttribute("..cdmo"))
    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Programme {n}")
    code = factory.Sequence(lambda n: f"PRJ-{n:03d}")
    service_type = Project.ServiceType.PROCESS_DEVELOPMENT
    phase = Project.Phase.PHASE_1


class RequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Request

    project = factory.SubFactory(ProjectFactory)
    sponsor = factory.LazyAttribute(lambda o: o.project.sponsor)
    title = factory.Sequence(lambda n: f"Ask {n}")
    opened_at = factory.LazyFunction(lambda: minutes_ago(600))
    opened_by = factory.LazyAttribute(lambda o: o.project.owner)


class CommunicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Communication

    project = factory.SubFactory(ProjectFactory)
    sponsor = factory.LazyAttribute(lambda o: o.project.sponsor)
    channel = Communication.Channel.EMAIL
    direction = Communication.Direction.OUTBOUND
    occurred_at = factory.LazyFunction(lambda: minutes_ago(60))
    subject = factory.Sequence(lambda n: f"Message {n}")
    summary = "Please send the batch record."
    logged_by = factory.LazyAttribute(lambda o: o.project.owner)


class InvitationFactory(factory.django.DjangoModelFactory):
    """A pending invitation whose link token is `invitation-token-<n>` (see `.token`)."""

    class Meta:
        model = Invitation
        exclude = ["token"]

    sponsor = factory.SubFactory(SponsorFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.VIEWER
    invited_by = factory.SubFactory(UserFactory)
    token = factory.Sequence(lambda n: f"invitation-token-{n}")
    token_digest = factory.LazyAttribute(lambda o: token_digest(o.token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
