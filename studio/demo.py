"""Demo data for `make run`: a studio worth clicking through, and a second studio beside it.

Idempotent: every object is looked up by a natural key before being created, so running the
seed again (every `make run` does) changes nothing. Later apps add their own demo data by
providing `<app>/demo.py` with `seed(*, studio, second_studio)`; the command calls them in
INSTALLED_APPS order.
"""

from __future__ import annotations

import importlib
import random

from django.apps import apps
from django.db import transaction
from django_scopes import scope

from studio import services
from studio.demo_logins import DEMO_PASSWORD
from studio.models import Client, FamilyLink, Location, Role, Room, StaffMember, Studio, User
from studio.permissions import RoleKind

FIRST_NAMES = [
    "Camille",
    "Léa",
    "Chloé",
    "Noah",
    "Liam",
    "Emma",
    "Olivia",
    "Gabriel",
    "Alice",
    "Thomas",
    "Zoé",
    "Jacob",
    "Florence",
    "William",
    "Rosalie",
    "Félix",
    "Maya",
    "Samuel",
    "Juliette",
    "Nathan",
]
LAST_NAMES = [
    "Tremblay",
    "Gagnon",
    "Roy",
    "Côté",
    "Bouchard",
    "Gauthier",
    "Morin",
    "Lavoie",
    "Fortin",
    "Gagné",
    "Ouellet",
    "Pelletier",
    "Bélanger",
    "Lévesque",
    "Bergeron",
    "Leblanc",
    "Paquette",
]


def _user(email: str, full_name: str, *, language: str = "fr", is_staff: bool = False) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email,
            password=DEMO_PASSWORD,
            full_name=full_name,
            language=language,
            is_staff=is_staff,
            is_superuser=is_staff,
        )
    return user


def _studio(*, slug: str, name: str, owner: User, **fields) -> Studio:
    studio = Studio.objects.filter(slug=slug).first()
    if studio is None:
        studio = services.studio_create(name=name, slug=slug, owner=owner, **fields)
    return studio


def _staff(studio: Studio, email: str, full_name: str, kind: str) -> StaffMember:
    user = _user(email, full_name)
    member = StaffMember.objects.filter(studio=studio, user=user).first()
    if member is None:
        role = Role.objects.get(studio=studio, kind=kind)
        member = StaffMember.objects.create(studio=studio, user=user, role=role, display_name=full_name)
    return member


def _location(studio: Studio, name: str, **fields) -> Location:
    location, _created = Location.objects.get_or_create(studio=studio, name=name, defaults=fields)
    return location


def _room(studio: Studio, location: Location, name: str, capacity: int) -> Room:
    room, _created = Room.objects.get_or_create(
        studio=studio, location=location, name=name, defaults={"capacity": capacity}
    )
    return room


def seed_core() -> tuple[Studio, Studio]:
    _user("platform@atelier.test", "Plateforme Atelier", is_staff=True)
    owner = _user("owner@demo.atelier.test", "Maude Lefebvre")
    demo = _studio(
        slug="demo",
        name="Atelier Demo — Yoga & Danse",
        owner=owner,
        currency="CAD",
        country="CA",
        time_zone="America/Toronto",
        language="fr",
    )
    with scope(studio=demo), transaction.atomic():
        if not demo.bio:
            demo.bio = "Yoga, danse et pilates au cœur de Montréal. Deux studios, une communauté."
            demo.save(update_fields=["bio"])
        _staff(demo, "admin@demo.atelier.test", "Julien Caron", RoleKind.ADMIN)
        _staff(demo, "manager@demo.atelier.test", "Sophie Nadeau", RoleKind.MANAGER)
        _staff(demo, "frontdesk@demo.atelier.test", "Karim Haddad", RoleKind.FRONT_DESK)
        _staff(demo, "teacher@demo.atelier.test", "Ana Souza", RoleKind.TEACHER)
        montreal = _location(
            demo,
            "Montréal",
            address_line="4321 rue Saint-Denis",
            city="Montréal",
            region="QC",
            postal_code="H2J 2K9",
            country="CA",
            time_zone="America/Toronto",
            is_home_location=True,
        )
        laval = _location(
            demo,
            "Laval",
            address_line="1600 boul. le Corbusier",
            city="Laval",
            region="QC",
            postal_code="H7S 1Y9",
            country="CA",
            time_zone="America/Toronto",
            is_home_location=True,
        )
        quebec = _location(
            demo,
            "Québec",
            address_line="850 rue Saint-Jean",
            city="Québec",
            region="QC",
            postal_code="G1R 1R3",
            country="CA",
            time_zone="America/Toronto",
            is_home_location=True,
        )
        _room(demo, montreal, "Grande salle", 24)
        _room(demo, montreal, "Petite salle", 10)
        _room(demo, laval, "Studio A", 18)
        _room(demo, quebec, "Salle du Vieux", 14)
        _seed_clients(demo, [montreal, laval, quebec])

    other_owner = _user("owner@autre.atelier.test", "Owen Clarke", language="en")
    other = _studio(
        slug="autre",
        name="Studio Autre",
        owner=other_owner,
        currency="CAD",
        country="CA",
        time_zone="America/Vancouver",
        language="en",
    )
    with scope(studio=other), transaction.atomic():
        downtown = _location(
            other,
            "Downtown",
            city="Vancouver",
            region="BC",
            country="CA",
            time_zone="America/Vancouver",
            is_home_location=True,
        )
        _room(other, downtown, "Main room", 20)
        _staff(other, "frontdesk@autre.atelier.test", "Priya Natarajan", RoleKind.FRONT_DESK)
        _staff(other, "teacher@autre.atelier.test", "Tom Becker", RoleKind.TEACHER)
        if not Client.objects.filter(studio=other).exists():
            for first, last in (("Private", "OtherStudio"), ("Grace", "Lee"), ("Ethan", "Wong")):
                Client.objects.create(
                    studio=other,
                    first_name=first,
                    last_name=last,
                    email=f"{first.lower()}@autre.atelier.test",
                    home_location=downtown,
                    language="en",
                )
    return demo, other


def _seed_clients(studio: Studio, homes: list[Location]) -> None:
    client_user = _user("client@demo.atelier.test", "Camille Tremblay")
    if Client.objects.filter(studio=studio).exists():
        return
    rng = random.Random(42)  # the same demo every time
    camille = Client.objects.create(
        studio=studio,
        first_name="Camille",
        last_name="Tremblay",
        email="client@demo.atelier.test",
        phone="514 555 0101",
        user=client_user,
        home_location=homes[0],
        language="fr",
    )
    child = Client.objects.create(
        studio=studio, first_name="Léo", last_name="Tremblay", home_location=homes[0], language="fr"
    )
    FamilyLink.objects.create(studio=studio, guardian=camille, dependant=child, relationship="parent")
    for guardian_name, child_name, home in (
        ("Julie Gagnon", "Emma Gagnon", homes[1 % len(homes)]),
        ("Marc Roy", "Félix Roy", homes[2 % len(homes)]),
    ):
        first, last = guardian_name.split()
        guardian = Client.objects.create(
            studio=studio,
            first_name=first,
            last_name=last,
            home_location=home,
            email=f"{first.lower()}.{last.lower()}@example.test",
            language="fr",
        )
        kid_first = child_name.split()[0]
        kid = Client.objects.create(
            studio=studio, first_name=kid_first, last_name=last, home_location=home, language="fr"
        )
        FamilyLink.objects.create(studio=studio, guardian=guardian, dependant=kid, relationship="parent")
    rows = []
    for i in range(54):  # with the six above: 60 clients
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        rows.append(
            Client(
                studio=studio,
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{last.lower()}.{i}@example.test".replace("é", "e")
                .replace("ô", "o")
                .replace("è", "e"),
                phone=f"514 555 {1000 + i:04d}",
                home_location=homes[i % len(homes)],
                language="fr" if i % 3 else "en",
            )
        )
    Client.objects.bulk_create(rows)


def seed_all() -> tuple[Studio, Studio]:
    demo, other = seed_core()
    for config in apps.get_app_configs():
        if config.name == "studio":
            continue
        try:
            module = importlib.import_module(f"{config.name}.demo")
        except ModuleNotFoundError:
            continue
        module.seed(studio=demo, second_studio=other)
    return demo, other
