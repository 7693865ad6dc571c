"""Issue 18, items 7 and 17: names that cannot pass for another, and racing creations that
answer a form message, never a 500."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from engagements.models import CDMO, BusinessCalendar, SLAPolicy


def _cdmo_post(name):
    return {"name": name, "status": "active"}


@pytest.mark.parametrize(
    "name, code",
    [
        ("Lonza\u200b", "U+200B"),  # zero-width space
        ("Lon\u202eaz", "U+202E"),  # right-to-left override
        ("Lonza\u2066", "U+2066"),  # left-to-right isolate
        ("Lon\x07za", "U+0007"),  # a control character
    ],
)
def test_it_refuses_invisible_and_direction_characters_in_names(
    manager_client, sponsor, name, code
):
    response = manager_client.post(reverse("cdmo_new", args=[sponsor.slug]), _cdmo_post(name))
    assert response.status_code == 200
    assert code in response.content.decode()
    assert not CDMO.objects.exists()


def test_it_stores_names_normalised_so_lookalikes_collide(manager_client, sponsor):
    url = reverse("cdmo_new", args=[sponsor.slug])
    manager_client.post(url, _cdmo_post("ＬＯＮＺＡ"))  # full-width letters
    assert CDMO.objects.get().name == "LONZA"
    again = manager_client.post(url, _cdmo_post("Lonza"))
    assert "already has a CDMO of that name" in again.content.decode()
    assert CDMO.objects.count() == 1


def _at_once(count, action):
    start = threading.Barrier(count)
    answers = []

    def run():
        start.wait()
        try:
            answers.append(action())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.django_db(transaction=True)
def test_four_simultaneous_new_policies_of_one_name_make_one_and_no_500(sponsor, admin_user):
    url = reverse("policy_new", args=[sponsor.slug])

    def create():
        browser = Client()
        browser.force_login(admin_user)
        return browser.post(url, {"name": "Standard terms"}).status_code

    answers = _at_once(4, create)
    assert 500 not in answers and sorted(answers)[-1] == 302
    assert SLAPolicy.objects.filter(sponsor=sponsor).count() == 1
    assert SLAPolicy.objects.filter(sponsor=sponsor, is_default=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_new_calendars_and_make_default_answer_no_500(sponsor, admin_user):
    calendar = {"name": "Basel plant", "time_zone": "Europe/Zurich", "day_0": "09:00-17:00"}

    def new_calendar():
        browser = Client()
        browser.force_login(admin_user)
        return browser.post(reverse("calendar_new", args=[sponsor.slug]), calendar).status_code

    answers = _at_once(4, new_calendar)
    assert 500 not in answers
    assert BusinessCalendar.objects.filter(sponsor=sponsor, name="Basel plant").count() == 1
    first = SLAPolicy.objects.create(sponsor=sponsor, name="A", is_default=True)
    second = SLAPolicy.objects.create(sponsor=sponsor, name="B")

    def make_default(policy):
        browser = Client()
        browser.force_login(admin_user)
        url = reverse("policy_make_default", args=[sponsor.slug, policy.pk])
        return browser.post(url).status_code

    flip = iter([first, second])
    answers = _at_once(2, lambda: make_default(next(flip)))
    assert answers == [302, 302]
    assert SLAPolicy.objects.filter(sponsor=sponsor, is_default=True).count() == 1
