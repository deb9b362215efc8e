"""factory-boy factories. Tenant rows are created with scopes disabled: fixtures build data
for several studios at once, which is exactly what the scope forbids inside a request."""

from __future__ import annotations

import factory
from django_scopes import scopes_disabled

from studio import services
from studio.models import Client, FamilyLink, Location, Role, Room, StaffMember, Studio, User
from studio.permissions import RoleKind

PASSWORD = "correct-horse-battery"


class UnscopedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with scopes_disabled():
            return super()._create(model_class, *args, **kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name")
    language = "en"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_studio(slug: str, *, owner: User | None = None, **fields) -> Studio:
    owner = owner or UserFactory(email=f"owner@{slug}.test")
    with scopes_disabled():
        return services.studio_create(name=f"Studio {slug}", slug=slug, owner=owner, **fields)


def role_of(studio: Studio, kind: str) -> Role:
    with scopes_disabled():
        return Role.objects.get(studio=studio, kind=kind)


def owner_of(studio: Studio) -> StaffMember:
    with scopes_disabled():
        return (
            StaffMember.objects.select_related("user", "role")
            .filter(studio=studio, role__kind=RoleKind.OWNER)
            .order_by("id")
            .first()
        )


class LocationFactory(UnscopedFactory):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Location {n}")
    city = "Montréal"
    time_zone = "America/Toronto"
    is_home_location = True


class RoomFactory(UnscopedFactory):
    class Meta:
        model = Room

    location = factory.SubFactory(LocationFactory)
    studio = factory.SelfAttribute("location.studio")
    name = factory.Sequence(lambda n: f"Room {n}")
    capacity = 20


class StaffFactory(UnscopedFactory):
    class Meta:
        model = StaffMember

    user = factory.SubFactory(UserFactory)
    display_name = factory.SelfAttribute("user.full_name")

    @classmethod
    def _create(cls, model_class, *args, kind: str = RoleKind.FRONT_DESK, **kwargs):
        if "role" not in kwargs:
            kwargs["role"] = role_of(kwargs["studio"], kind)
        return super()._create(model_class, *args, **kwargs)


class ClientFactory(UnscopedFactory):
    class Meta:
        model = Client

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"client{n}@example.test")
    language = "en"


class FamilyLinkFactory(UnscopedFactory):
    class Meta:
        model = FamilyLink

    guardian = factory.SubFactory(ClientFactory)
    dependant = factory.SubFactory(ClientFactory, studio=factory.SelfAttribute("..guardian.studio"))
    studio = factory.SelfAttribute("guardian.studio")
