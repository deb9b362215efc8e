"""The task "waivers.signature_confirm": the signer gets "waivers.signed" in their language with the
record's PDF attached (studio.notifications' attachments), once per signature."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from studio.notifications.models import Message, MessageAttachment
from studio.notifications.services import Attachment, notification_send
from studio.tasking import task_by_name
from tests.factories import ClientFactory, FamilyLinkFactory
from waivers.tests.factories import wrec_signature, wrec_waiver

pytestmark = pytest.mark.django_db


def _confirm(studio, signature, callbacks) -> int:
    with callbacks(execute=True):
        return task_by_name("waivers.signature_confirm").apply(args=(studio.pk, signature.pk)).get()


def test_the_signer_gets_the_pdf_in_their_language_once(
    studio, other_studio, celery_eager, django_capture_on_commit_callbacks
):
    signer = ClientFactory(studio=studio, first_name="Élodie", email="elodie@example.test", language="fr")
    signature = wrec_signature(wrec_waiver(studio, name="Décharge adulte"), signer, language="fr")
    assert _confirm(studio, signature, django_capture_on_commit_callbacks) == 1
    (sent,) = mail.outbox
    assert sent.to == ["elodie@example.test"]
    ((filename, content, mimetype),) = sent.attachments
    assert filename.endswith(f"-{signature.pk}.pdf") and mimetype == "application/pdf"
    assert content.startswith(b"%PDF-")
    with scopes_disabled():
        message = Message.objects.get(template="waivers.signed")
    assert message.language == "fr" and message.studio_id == studio.pk
    assert "Décharge adulte" in message.subject and "Décharge adulte" in message.body_text
    # A redelivered task sends nothing more.
    assert _confirm(studio, signature, django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 1
    with scopes_disabled():
        assert MessageAttachment.objects.count() == 1
        assert not Message.objects.filter(studio=other_studio).exists()


def test_a_guardian_is_told_they_signed_for_their_child(
    studio, celery_eager, django_capture_on_commit_callbacks
):
    parent = ClientFactory(studio=studio, first_name="Nadia", email="nadia@example.test", language="en")
    child = ClientFactory(studio=studio, first_name="Léo", last_name="Roy", email="")
    FamilyLinkFactory(studio=studio, guardian=parent, dependant=child)
    signature = wrec_signature(wrec_waiver(studio, kind="child", name="Kids release"), child, signer=parent)
    _confirm(studio, signature, django_capture_on_commit_callbacks)
    (sent,) = mail.outbox
    assert sent.to == ["nadia@example.test"]
    assert "as guardian, for Léo Roy" in sent.body
    assert sent.attachments[0][2] == "application/pdf"


def test_the_outbox_lists_the_attachment(
    owner_client, studio, celery_eager, django_capture_on_commit_callbacks
):
    signer = ClientFactory(studio=studio, email="a@example.test", language="en")
    signature = wrec_signature(wrec_waiver(studio), signer)
    _confirm(studio, signature, django_capture_on_commit_callbacks)
    with scopes_disabled():
        message = Message.objects.get(template="waivers.signed")
        attachment = message.attachments.get()
    with translation.override("en"):
        html = owner_client.get(
            reverse("message-detail", kwargs={"studio_slug": studio.slug, "pk": message.pk})
        ).content.decode()
    assert "Attachments" in html and attachment.filename in html and "application/pdf" in html


def test_a_missing_signature_sends_nothing(studio, celery_eager, django_capture_on_commit_callbacks):
    assert task_by_name("waivers.signature_confirm").apply(args=(studio.pk, 987654)).get() == 0
    assert mail.outbox == []


# --- studio.notifications: attachments (additive; every other message is unchanged) ---


def test_attachments_are_kept_with_each_message_and_attached_at_delivery(
    studio, celery_eager, django_capture_on_commit_callbacks
):
    mum = ClientFactory(studio=studio, email="mum@example.test")
    dad = ClientFactory(studio=studio, email="dad@example.test")
    child = ClientFactory(studio=studio, email="")
    FamilyLinkFactory(studio=studio, guardian=mum, dependant=child)
    FamilyLinkFactory(studio=studio, guardian=dad, dependant=child)
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        messages = notification_send(
            studio=studio,
            recipient=child,
            template="waivers.signed",
            context={
                "waiver_name": "W",
                "client": child,
                "signer": mum,
                "version_number": 1,
                "signed_at": "x",
            },
            attachments=[Attachment(filename="a.txt", content=b"hello", content_type="text/plain")],
        )
    assert len(messages) == 2 and len(mail.outbox) == 2
    assert all(m.attachments == [("a.txt", "hello", "text/plain")] for m in mail.outbox)
    with scopes_disabled():
        assert sorted(MessageAttachment.objects.values_list("message_id", "size")) == sorted(
            (m.pk, 5) for m in messages
        )


def test_platform_mail_carries_no_attachment(db):
    from studio.notifications.services import Addressee

    with pytest.raises(ValueError):
        notification_send(
            studio=None,
            recipient=Addressee(email="x@example.test", language="en"),
            template="waivers.signed",
            context={},
            attachments=[Attachment(filename="a.pdf", content=b"%PDF")],
        )


def test_signing_through_the_service_sends_the_confirmation_with_the_pdf(
    studio, celery_eager, django_capture_on_commit_callbacks
):
    """End to end with wsign's `waiver_sign`: the signature commits, the task runs, the mail goes."""
    from waivers.tests.factories import published_waiver, signature_for

    signer = ClientFactory(studio=studio, email="sam@example.test", language="en")
    waiver = published_waiver(studio, name="Studio release")
    with django_capture_on_commit_callbacks(execute=True):
        signature = signature_for(waiver, signer)
    (sent,) = mail.outbox
    assert sent.to == ["sam@example.test"] and "Studio release" in sent.subject
    ((filename, content, mimetype),) = sent.attachments
    assert filename.endswith(f"-{signature.pk}.pdf") and content.startswith(b"%PDF-")
    assert mimetype == "application/pdf"
