"""Objects for the cross-cutting isolation and permission matrices (tests/isolation.py)."""

from __future__ import annotations

CASES: dict = {}

# templates and versions (wtpl)


def _wtpl_waiver(studio):
    """A published waiver of `studio` with a draft pending (every page has something to show)."""
    from django_scopes import scope

    from studio.services import SYSTEM
    from waivers.services.templates import waiver_draft_save
    from waivers.tests.factories import published_waiver

    waiver = published_waiver(studio)
    with scope(studio=studio):
        waiver_draft_save(
            studio=studio,
            actor=SYSTEM,
            waiver=waiver,
            title_fr="Décharge v2",
            title_en="Waiver v2",
            body_fr="<p>Texte révisé.</p>",
            body_en="<p>Revised text.</p>",
        )
    return {"pk": waiver.pk}


def _wtpl_version(studio):
    return {**_wtpl_waiver(studio), "number": 1}


CASES["waiver-edit"] = _wtpl_waiver
CASES["waiver-publish"] = _wtpl_waiver
CASES["waiver-archive"] = _wtpl_waiver
CASES["waiver-version"] = _wtpl_version

# signing (wsign)


def _wsign_client_waiver(studio):
    from tests.factories import ClientFactory
    from waivers.tests.factories import published_waiver

    return {"pk": ClientFactory(studio=studio).pk, "waiver_pk": published_waiver(studio).pk}


def _wsign_link(studio):
    """A real open link of `studio` (the token itself: another studio must not know it)."""
    from tests.factories import ClientFactory
    from waivers.tests.factories import published_waiver, wsign_link

    client = ClientFactory(studio=studio, email=f"link{next(_wsign_counter)}@example.com")
    _link, token = wsign_link(published_waiver(studio), client)
    return {"token": token}


def _wsign_account_waiver(studio):
    from waivers.tests.factories import published_waiver

    return {"waiver_pk": published_waiver(studio).pk}


_wsign_counter = iter(range(1, 10**9))

CASES["client-waiver-sign"] = _wsign_client_waiver
CASES["client-waiver-send"] = _wsign_client_waiver
CASES["waiver-link-sign"] = _wsign_link
CASES["account-waiver-sign"] = _wsign_account_waiver

# records (wrec)


def _wrec_signature(studio):
    from tests.factories import ClientFactory
    from waivers.tests.factories import wrec_signature, wrec_waiver

    return {"pk": wrec_signature(wrec_waiver(studio), ClientFactory(studio=studio)).pk}


def _wrec_own_signature(studio):
    """A signature of one of `studio`'s clients (the matrix's intruder is B's client too)."""
    return _wrec_signature(studio)


CASES["waiver-signature"] = _wrec_signature
CASES["waiver-signature-pdf"] = _wrec_signature
CASES["waiver-signature-image"] = _wrec_signature
CASES["account-waiver-pdf"] = _wrec_own_signature

# requirements (wreq)


def _wreq_waiver(studio):
    """A published membership waiver of `studio` required for every purchase."""
    from django_scopes import scope

    from waivers.tests.factories import req_require, req_waiver

    with scope(studio=studio):
        waiver = req_waiver(studio, kind="membership")
        req_require(waiver)
    return {"pk": waiver.pk}


CASES["waiver-requirements"] = _wreq_waiver
