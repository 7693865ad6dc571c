"""CDMOs, sites, contacts and projects: browsing, creating and editing in the app."""

import pytest
from django.urls import reverse

from engagements.models import CDMO, Contact, Project, Site

from .factories import CDMOFactory, ProjectFactory, SiteFactory


def u(sponsor, name, *args):
    return reverse(name, args=[sponsor.slug, *args])


def test_it_lists_cdmos_with_counts_and_filters_by_status(manager_client, sponsor, project):
    CDMOFactory(sponsor=sponsor, name="Paused One", status="paused")
    page = manager_client.get(u(sponsor, "cdmo_list"))
    cdmos = {c.name: c for c in page.context["cdmos"]}
    assert cdmos[project.cdmo.name].project_count == 1
    assert cdmos[project.cdmo.name].site_count == 1
    paused = manager_client.get(u(sponsor, "cdmo_list") + "?status=paused").context["cdmos"]
    assert [c.name for c in paused] == ["Paused One"]


def test_it_shows_a_cdmo_with_sites_contacts_and_projects(manager_client, sponsor, project):
    body = manager_client.get(u(sponsor, "cdmo_detail", project.cdmo_id)).content.decode()
    assert project.site.name in body and project.spoc.name in body and project.code in body
    assert "Europe/Zurich" in body


def test_it_creates_a_cdmo_in_the_managers_sponsor(manager_client, sponsor):
    response = manager_client.post(
        u(sponsor, "cdmo_new"),
        {"name": "Fjord Biologics", "status": "prospect", "website": "https://fjord.example"},
    )
    cdmo = CDMO.objects.get(name="Fjord Biologics")
    assert response["Location"] == u(sponsor, "cdmo_detail", cdmo.pk)
    assert cdmo.sponsor == sponsor


def test_it_refuses_a_duplicate_cdmo_name(manager_client, sponsor, project):
    response = manager_client.post(
        u(sponsor, "cdmo_new"), {"name": project.cdmo.name.upper(), "status": "active"}
    )
    assert "already has a CDMO of that name" in response.content.decode()
    assert CDMO.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
        ({"country": "XX"}, "Unknown country code"),
        ({"subdivision": "ZZ"}, "has no subdivision"),
        ({"name": ""}, "This field is required."),
        ({"name": "SITE 0"}, "already has a site of that name"),
    ],
)
def test_it_refuses_bad_site_input(manager_client, sponsor, project, data, message):
    payload = {"name": "Basel", "country": "CH", "subdivision": "BS", "time_zone": "Europe/Zurich"}
    payload.update(data)
    if payload["name"] == "SITE 0":
        payload["name"] = project.site.name.upper()
    response = manager_client.post(u(sponsor, "site_new", project.cdmo_id), payload)
    assert response.status_code == 200 and message in response.content.decode()
    assert Site.objects.count() == 1


def test_it_adds_a_site_and_a_contact(manager_client, sponsor, project):
    manager_client.post(
        u(sponsor, "site_new", project.cdmo_id),
        {"name": "Tokyo", "country": "jp", "subdivision": "", "time_zone": "Asia/Tokyo"},
    )
    site = Site.objects.get(name="Tokyo")
    assert (site.country, site.sponsor, site.cdmo) == ("JP", sponsor, project.cdmo)
    manager_client.post(
        u(sponsor, "contact_new", project.cdmo_id), {"name": "Yuki Sato", "email": "y@x.example"}
    )
    assert Contact.objects.get(name="Yuki Sato").sponsor == sponsor


def test_it_edits_a_site(manager_client, sponsor, project):
    manager_client.post(
        u(sponsor, "site_edit", project.site_id),
        {"name": "Basel 2", "country": "CH", "subdivision": "BS", "time_zone": "Europe/Zurich"},
    )
    project.site.refresh_from_db()
    assert project.site.name == "Basel 2"


def test_it_creates_a_project_owned_by_a_manager(manager_client, sponsor, project, manager):
    response = manager_client.post(
        u(sponsor, "project_new"),
        {
            "name": "HX-999 mAb",
            "code": "hx-999",
            "cdmo": project.cdmo_id,
            "site": project.site_id,
            "service_type": "analytical",
            "status": "active",
            "owner": manager.pk,
            "spoc": project.spoc_id,
        },
    )
    created = Project.objects.get(code="HX-999")
    assert response["Location"] == u(sponsor, "project_detail", created.pk)
    assert created.sponsor == sponsor


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "DUP"}, "Another project already uses this code."),
        ({"start_date": "2026-05-01", "end_date": "2026-04-01"}, "end date is before"),
        ({"site": "other-cdmo"}, "This site belongs to another CDMO."),
        ({"cdmo": "foreign"}, "Select a valid choice"),
        ({"owner": "foreign"}, "Select a valid choice"),
    ],
)
def test_it_refuses_bad_project_input(
    manager_client, sponsor, project, manager, outsider_world, data, message
):
    ProjectFactory(cdmo=project.cdmo, site=project.site, code="DUP", owner=manager)
    before = Project.objects.count()
    payload = {
        "name": "New",
        "code": "NEW-1",
        "cdmo": project.cdmo_id,
        "service_type": "analytical",
        "status": "active",
        "owner": manager.pk,
    }
    special = {
        "other-cdmo": SiteFactory(cdmo=CDMOFactory(sponsor=sponsor)).pk,
        "foreign": None,
    }
    for key, value in data.items():
        if value == "foreign":
            value = outsider_world["cdmo"].pk if key == "cdmo" else outsider_world["user"].pk
        payload[key] = special.get(value, value) if value in special else value
    response = manager_client.post(u(sponsor, "project_new"), payload)
    assert response.status_code == 200 and message in response.content.decode()
    assert Project.objects.count() == before


def test_my_work_shows_my_projects_open_requests_and_recent_log(
    manager_client, sponsor, project, open_request, communication
):
    page = manager_client.get(u(sponsor, "my_work"))
    assert page.context["showing_own"] is True
    assert page.context["projects"] == [project]
    assert page.context["open_requests"] == [open_request]
    assert page.context["recent"] == [communication]


def test_my_work_falls_back_to_active_projects_for_an_executive(
    client, sponsor, project, executive
):
    client.force_login(executive)
    page = client.get(u(sponsor, "my_work"))
    assert page.context["showing_own"] is False
    assert page.context["projects"] == [project]


def test_list_pages_keep_a_bounded_number_of_queries(
    manager_client, sponsor, manager, django_assert_max_num_queries
):
    def make(n):
        for _ in range(n):
            ProjectFactory(cdmo=CDMOFactory(sponsor=sponsor), owner=manager)

    names = ["my_work", "project_list", "cdmo_list", "request_list"]
    make(2)
    counts = {}
    for name in names:
        with django_assert_max_num_queries(12) as captured:
            manager_client.get(u(sponsor, name))
        counts[name] = len(captured.captured_queries)
    make(15)
    for name in names:
        with django_assert_max_num_queries(counts[name]):
            manager_client.get(u(sponsor, name))
