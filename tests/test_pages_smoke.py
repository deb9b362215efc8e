import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_dashboard_renders_for_owner(owner_client, studio, other_studio):
    response = owner_client.get(reverse("dashboard", kwargs={"studio_slug": studio.slug}))
    assert response.status_code == 200
    assert "Getting started" in response.content.decode()
