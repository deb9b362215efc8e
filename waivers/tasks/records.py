"""The confirmation email of a signature, with its PDF (enqueued by name after a signature commits)."""

from __future__ import annotations

from studio.models import Studio
from studio.notifications.models import Message
from studio.notifications.services import Attachment, ReaderDate, notification_send
from studio.tasking import studio_task
from waivers.documents import signature_pdf, signature_pdf_filename
from waivers.emails.signed import SIGNED
from waivers.models import WaiverSignature
from waivers.selectors.records import signature_facts


@studio_task(name="waivers.signature_confirm")
def signature_confirm(studio_id: int, signature_id: int) -> int:
    """Email the signer "waivers.signed" in their language with the record's PDF attached; returns
    the number of messages recorded. Runs once per signature: a redelivered task (or a second
    enqueue) finds the message already recorded, identified by its attachment's name, which
    carries the signature's id."""
    signature = (
        WaiverSignature.objects.select_related("waiver", "version", "client", "signer", "witnessed_by")
        .filter(pk=signature_id)
        .first()
    )
    if signature is None:
        return 0
    signature.studio = studio = Studio.objects.get(pk=studio_id)
    filename = signature_pdf_filename(signature)
    if Message.objects.filter(template=SIGNED.name, attachments__filename=filename).exists():
        return 0
    signer = signature.signer
    facts = signature_facts(signature=signature)
    pdf = signature_pdf(signature=signature, language=signer.language or studio.language)
    context = {
        "waiver_name": signature.waiver.name,
        "client": signature.client,
        "signer": signer,
        "for_someone_else": facts.for_dependant,
        "version_number": signature.version.number,
        "signed_at": ReaderDate(facts.signed_at_local),
    }
    messages = notification_send(
        studio=studio,
        recipient=signer,
        template=SIGNED.name,
        context=context,
        attachments=[Attachment(filename=filename, content=pdf, content_type="application/pdf")],
    )
    return len(messages)
