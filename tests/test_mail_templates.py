"""Studio-editable transactional emails (CHK-3): placeholders, checks on save, the real send, the
editor (preview, reset), isolation, permissions, and no mail sent around the one mail path."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from scheduling.emails import send_booking_email
from scheduling.tests.factories import BookingFactory, ClassSessionFactory, ClassTemplateFactory
from studio.models import AuditLog, Invitation, Message
from studio.notifications import overrides, placeholders, registry, template_services
from studio.notifications.models import MailTemplateOverride
from studio.notifications.services import Addressee, notification_send
from studio.permissions import RoleKind
from studio.registries import audit
from studio.services import Actor
from tests.factories import ClientFactory, FamilyLinkFactory, owner_of, role_of

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]

# CHK-3's list, as registered today (payment links and the POS receipt register theirs later).
CHK3_TEMPLATES = {
    "scheduling/booking_confirmed": {"class_name", "starts_at", "client_first_name", "link"},
    "scheduling/booking_cancelled": {"class_name", "starts_at", "client_first_name"},
    "scheduling/booking_promoted": {"class_name", "starts_at", "client_first_name"},
    "memberships/sold": {"plan_name", "amount", "receipt_number"},
    "memberships/renewal_succeeded": {"plan_name", "amount", "period_start"},
    "memberships/renewal_failed": {"plan_name", "amount", "reason", "link"},
    "memberships/card_expiring": {"card", "expiry", "renewal_on", "link"},
    "waivers.link": {"waiver_name", "link", "expires"},
    "memberships/penalty_fee": {"fee", "amount", "class_name", "starts_at"},
    "studio/invitation": {"link", "role"},
    "registration/password_reset": {"link"},
}


def _every_placeholder_body(template) -> str:
    return "\n\n".join(f"{p.name}=[{{{p.name}}}]" for p in placeholders.placeholders_of(template))


def _actor(studio):
    return Actor(user=owner_of(studio).user)


def _save(studio, template, language, subject, body):
    with scope(studio=studio):
        return template_services.mail_override_save(
            studio=studio,
            actor=_actor(studio),
            template=template,
            language=language,
            subject=subject,
            body=body,
        )


def _editor_url(studio, name, language):
    return (
        reverse("mail-template-new", kwargs={"studio_slug": studio.slug})
        + f"?template={name}&language={language}"
    )


# --- The placeholders ---------------------------------------------------------------------------


def test_every_chk3_template_declares_its_placeholders():
    for name, expected in CHK3_TEMPLATES.items():
        template = registry.get(name)
        declared = {p.name for p in placeholders.placeholders_of(template)}
        assert expected <= declared, (name, expected - declared)
        for placeholder in placeholders.placeholders_of(template):
            assert placeholders.NAME.match(placeholder.name), placeholder.name
            assert str(placeholder.label), placeholder.name
    assert not registry.get("registration/password_reset").editable  # platform mail
    # A template that declares no placeholders yet is not offered (its version could not say
    # what it is about); it is sent from its files, no override looked up.
    assert not registry.MailTemplate(name="x/y", label="x").editable


def test_links_that_make_the_message_are_required():
    for name in (
        "studio/invitation",
        "waivers.link",
        "memberships/card_expiring",
        "memberships/renewal_failed",
    ):
        required = {p.name for p in placeholders.placeholders_of(registry.get(name)) if p.required}
        assert "link" in required, name


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_placeholder_of_every_template_renders_in_the_preview(studio, language):
    """Each editable template, a body naming every placeholder: each sample value (in the
    language of the preview) is in the HTML part, escaped, and in the plain-text part."""
    editable = [t for t in registry.all_templates() if t.editable]
    assert len(editable) >= 10
    for template in editable:
        body = _every_placeholder_body(template)
        preview = template_services.mail_preview(
            studio=studio, template=template.name, language=language, subject="{studio_name}", body=body
        )
        assert preview.subject == "Studio alpha"
        with translation.override(language):
            samples = {k: str(v) for k, v in placeholders.sample_context(template).items()}
        samples["studio_name"] = "Studio alpha"
        for name, value in samples.items():
            assert value, (template.name, name)
            # (nh3 writes a non-breaking space as &nbsp;: compare the text the reader sees.)
            assert f"{name}=[{value}]" in html.unescape(preview.html), (template.name, name)
            assert f"{name}=[{value}]" in preview.text, (template.name, name)
        assert f'lang="{language}"' in preview.html


def test_preview_dates_and_amounts_follow_the_preview_language(studio):
    template = registry.get("memberships/renewal_failed")
    body = "{amount} {period_start} {link}"
    fr = template_services.mail_preview(
        studio=studio, template=template.name, language="fr", subject="x", body=body
    )
    en = template_services.mail_preview(
        studio=studio, template=template.name, language="en", subject="x", body=body
    )
    assert "1er décembre 2026" in fr.text and "45,00" in fr.text
    assert "Dec. 1, 2026" in en.text and "45.00" in en.text


# --- Checks on save -----------------------------------------------------------------------------


def test_an_unknown_placeholder_is_refused_naming_it_and_the_known_ones(studio):
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        _save(studio, "scheduling/booking_confirmed", "en", "Booked", "Hello {first_name}, see you")
    message = refused.value.message_dict["body"][0]
    assert "{first_name}" in message and "{client_first_name}" in message and "{class_name}" in message
    with scopes_disabled():
        assert not MailTemplateOverride.objects.exists()


def test_an_unknown_placeholder_in_the_subject_is_refused(studio):
    with pytest.raises(ValidationError) as refused:
        _save(studio, "scheduling/booking_confirmed", "en", "Booked {what}", "Hello")
    assert "{what}" in refused.value.message_dict["subject"][0]


@pytest.mark.parametrize(
    "body, words",
    [
        ("Hi</td></tr></table><table><tr><td>", "not allowed"),
        ("Hi </body></html>", "</body>"),
        ("<style>@import url(//evil.test/x.css);</style>Hi", "<style>"),
        ("<script>alert(1)</script>Hi", "<script>"),
        ("<b>Hi {client_first_name}", "not closed"),
        ("Hi</b>", "does not match"),
        ('<p style="position:fixed">Hi</p>', "style"),
        ('<a href="javascript:alert(1)">Hi</a>', "https://"),
        ('<a href="{class_name}">Hi</a>', "https://"),
        ("<!-- x -->Hi", "comments"),
        ("Hi <img src=x onerror=alert(1)>", "<img>"),
    ],
)
def test_markup_that_breaks_out_of_the_layout_is_refused(studio, body, words):
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        _save(studio, "scheduling/booking_confirmed", "en", "Booked", body)
    assert words in " ".join(refused.value.message_dict["body"])


@pytest.mark.parametrize(
    "body",
    [
        "Hi {{ client.first_name }}",
        "{% if True %}Hi{% endif %}",
        "{# note #}Hi",
        "{{ studio.stripe_accounts }}",
    ],
)
def test_template_syntax_is_refused(studio, body):
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        _save(studio, "scheduling/booking_confirmed", "en", "Booked", body)
    assert "{name}" in refused.value.message_dict["body"][0]


def test_a_required_placeholder_missing_is_refused(studio):
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        _save(studio, "studio/invitation", "en", "Join us", "Welcome aboard, see you soon.")
    assert "{link}" in refused.value.message_dict["body"][0]
    _save(studio, "studio/invitation", "en", "Join us", 'Welcome. <a href="{link}">Accept</a>')


def test_a_brace_left_open_is_refused(studio):
    with pytest.raises(ValidationError):
        _save(studio, "scheduling/booking_confirmed", "en", "Booked", "Hi {client_first_name")


def test_platform_mail_is_not_a_studios_to_edit(studio):
    with pytest.raises(LookupError):
        _save(studio, "registration/password_reset", "en", "Reset", "{link}")


def test_basic_formatting_is_kept_and_sanitized():
    rendered = overrides.override_render(
        subject="Hi {n}",
        body='Hello <b>{n}</b>,\nsecond line\n\n<ul>\n<li>one</li>\n<li><i>two</i></li>\n</ul>\n\n<a href="{link}">Open</a>',
        values={"n": '<script>x</script>"&', "link": "https://x.test/a?b=1&c=2"},
    )
    assert rendered.html_fragment.startswith("<p>Hello <b>&lt;script&gt;x&lt;/script&gt;")
    assert "<br>" in rendered.html_fragment and "<ul>" in rendered.html_fragment
    assert (
        '<a href="https://x.test/a?b=1&amp;c=2" rel="noopener noreferrer">Open</a>' in rendered.html_fragment
    )
    assert "<script>" not in rendered.html_fragment
    assert rendered.text == (
        'Hello <script>x</script>"&,\nsecond line\n\n- one\n- two\n\nOpen (https://x.test/a?b=1&c=2)\n'
    )
    assert rendered.subject == 'Hi <script>x</script>"&'


# --- The real send --------------------------------------------------------------------------------


def _booking(studio, *, language, first_name="Camille"):
    template = ClassTemplateFactory(studio=studio, name="Morning flow")
    session = ClassSessionFactory(template=template)
    client = ClientFactory(
        studio=studio, first_name=first_name, email=f"{first_name.lower()}@example.test", language=language
    )
    return BookingFactory(session=session, client=client)


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_edited_template_is_what_the_client_receives(
    studio, other_studio, celery_eager, django_capture_on_commit_callbacks, language
):
    template = registry.get("scheduling/booking_confirmed")
    _save(studio, template.name, language, "{class_name} — {studio_name}", _every_placeholder_body(template))
    booking = _booking(studio, language=language, first_name="Zoé")
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        assert send_booking_email(booking=booking, kind="confirmed") == 1
    with scopes_disabled():
        message = Message.objects.get(studio=studio, template=template.name)
    [sent] = mail.outbox
    assert message.subject == sent.subject == "Morning flow — Studio alpha"
    assert sent.body == message.body_text
    html_part, mimetype = sent.alternatives[0]
    assert mimetype == "text/html" and html_part == message.body_html
    assert "client_first_name=[Zoé]" in message.body_text and "client_first_name=[Zoé]" in message.body_html
    assert "class_name=[Morning flow]" in message.body_text
    assert f"teacher=[{booking.session.teacher}]" in message.body_text
    with translation.override(language):
        from studio import formats

        when = formats.date_format(booking.session.local_start, "DATETIME_FORMAT")
    assert f"starts_at=[{when}]" in message.body_text
    assert "link=[http" in message.body_text and "/alpha/account/" in message.body_text
    # In the real layout: the studio's name and colour frame it, in the reader's language.
    assert studio.brand_primary in message.body_html and f'lang="{language}"' in message.body_html
    assert "Studio alpha" in message.body_html


def test_the_other_language_keeps_the_default_text(studio, celery_eager, django_capture_on_commit_callbacks):
    _save(
        studio, "scheduling/booking_confirmed", "fr", "Réservé : {class_name}", "Bonjour {client_first_name}"
    )
    booking = _booking(studio, language="en")
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        send_booking_email(booking=booking, kind="confirmed")
    assert mail.outbox[0].subject.startswith("You are booked: Morning flow")


def test_values_are_escaped_and_never_evaluated(studio, celery_eager, django_capture_on_commit_callbacks):
    _save(
        studio, "scheduling/booking_confirmed", "en", "Hi {client_first_name}", "<b>{client_first_name}</b>"
    )
    booking = _booking(studio, language="en", first_name="{{ studio.id }}<i>")
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        send_booking_email(booking=booking, kind="confirmed")
    with scopes_disabled():
        message = Message.objects.get(studio=studio)
    assert "<b>{{ studio.id }}&lt;i&gt;</b>" in message.body_html
    assert message.subject == "Hi {{ studio.id }}<i>"


def test_a_guardian_receives_the_override_in_their_language(
    studio, celery_eager, django_capture_on_commit_callbacks
):
    _save(
        studio,
        "scheduling/booking_confirmed",
        "fr",
        "Réservé",
        "Bonjour {recipient_name}, {client_first_name} est inscrit.",
    )
    booking = _booking(studio, language="en", first_name="Ben")
    with scopes_disabled():
        booking.client.email = ""
        booking.client.save()
    FamilyLinkFactory(
        guardian=ClientFactory(studio=studio, first_name="Julie", email="julie@example.test", language="fr"),
        dependant=booking.client,
    )
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        send_booking_email(booking=booking, kind="confirmed")
    [sent] = mail.outbox
    assert sent.to == ["julie@example.test"] and sent.body == "Bonjour Julie, Ben est inscrit.\n"


def test_an_edited_invitation_is_sent_with_its_link(studio, celery_eager, django_capture_on_commit_callbacks):
    _save(
        studio,
        "studio/invitation",
        "en",
        "Join {studio_name}",
        'You join as {role}: <a href="{link}">accept</a>.',
    )
    with scopes_disabled():
        invitation = Invitation.objects.create(
            studio=studio,
            email="ana@example.test",
            role=role_of(studio, RoleKind.TEACHER),
            token="tok",
            invited_by=owner_of(studio).user,
            expires_at="2099-01-01T00:00:00Z",
        )
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        notification_send(
            studio=studio,
            recipient=Addressee(email="ana@example.test", language="en"),
            template="studio/invitation",
            context={"invitation": invitation, "url": "http://testserver/alpha/invite/tok/"},
        )
    [sent] = mail.outbox
    assert sent.subject == "Join Studio alpha"
    assert sent.body == "You join as Teacher: accept (http://testserver/alpha/invite/tok/).\n"
    assert 'href="http://testserver/alpha/invite/tok/"' in sent.alternatives[0][0]


def _override_all(studio, name, language) -> None:
    _save(studio, name, language, "{studio_name}", _every_placeholder_body(registry.get(name)))


def _sent_text(studio, name) -> str:
    with scopes_disabled():
        message = Message.objects.get(studio=studio, template=name)
    assert [m.body for m in mail.outbox] == [message.body_text]
    return message.body_text


@pytest.mark.parametrize("language", LANGUAGES)
def test_real_sends_fill_every_placeholder_of_the_waiver_link(
    studio, celery_eager, django_capture_on_commit_callbacks, language
):
    from studio.services import SYSTEM
    from waivers.services.signing import waiver_link_send
    from waivers.tests.factories import published_waiver

    _override_all(studio, "waivers.link", language)
    waiver = published_waiver(studio, name="Décharge cours")
    client = ClientFactory(
        studio=studio, first_name="Léa", last_name="Roy", email="lea@example.test", language=language
    )
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        waiver_link_send(studio=studio, actor=SYSTEM, waiver=waiver, client=client)
    text = _sent_text(studio, "waivers.link")
    assert "waiver_name=[Décharge cours]" in text and "client_name=[Léa Roy]" in text
    assert re.search(r"link=\[http[^\]]*/waivers/sign/[A-Za-z0-9_-]+/\]", text), text
    assert re.search(r"expires=\[[^\]]*20\d\d[^\]]*\]", text), text
    for placeholder in placeholders.placeholders_of(registry.get("waivers.link")):
        assert not re.search(rf"{placeholder.name}=\[\]", text), placeholder.name


@pytest.mark.parametrize("language", LANGUAGES)
def test_real_sends_fill_every_placeholder_of_the_membership_receipt_and_card_expiring(
    studio, celery_eager, django_capture_on_commit_callbacks, language
):
    from types import SimpleNamespace

    from memberships.emails.methods import send_card_expiring
    from memberships.emails.sales import send_sale_email
    from memberships.tests.factories import MembershipFactory, PlanFactory

    client = ClientFactory(studio=studio, first_name="Noé", email="noe@example.test", language=language)
    membership = MembershipFactory(client=client, plan=PlanFactory(studio=studio, name="Illimité"))
    _override_all(studio, "memberships/sold", language)
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        send_sale_email(membership=membership, amount=2000, payment_id=77)
    text = _sent_text(studio, "memberships/sold")
    assert "plan_name=[Illimité]" in text and "receipt_number=[77]" in text
    assert ("amount=[20,00" if language == "fr" else "amount=[$20.00") in text
    for placeholder in placeholders.placeholders_of(registry.get("memberships/sold")):
        assert not re.search(rf"{placeholder.name}=\[\]", text), placeholder.name

    mail.outbox.clear()
    _override_all(studio, "memberships/card_expiring", language)
    card = SimpleNamespace(label="Visa", last4="4242", exp_month=1, exp_year=2027)
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        send_card_expiring(
            memberships=[membership],
            method=card,
            renewal_on=membership.next_renewal_on,
            url="https://x.test/fix/",
        )
    text = _sent_text(studio, "memberships/card_expiring")
    assert (
        "card=[Visa •••• 4242]" in text
        and "expiry=[01/2027]" in text
        and "link=[https://x.test/fix/]" in text
    )
    for placeholder in placeholders.placeholders_of(registry.get("memberships/card_expiring")):
        assert not re.search(rf"{placeholder.name}=\[\]", text), placeholder.name


# --- Isolation ------------------------------------------------------------------------------------


def test_another_studios_override_is_never_used(
    studio, other_studio, celery_eager, django_capture_on_commit_callbacks
):
    _save(other_studio, "scheduling/booking_confirmed", "en", "Bravo's own", "Bravo {client_first_name}")
    booking = _booking(studio, language="en")
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        send_booking_email(booking=booking, kind="confirmed")
    assert mail.outbox[0].subject.startswith("You are booked: Morning flow")
    # The rows are per studio: alpha's own version is a second row; bravo's is unchanged.
    _save(studio, "scheduling/booking_confirmed", "en", "Alpha's own", "Alpha {client_first_name}")
    with scopes_disabled():
        rows = {(o.studio_id, o.subject) for o in MailTemplateOverride.objects.all()}
    assert rows == {(other_studio.pk, "Bravo's own"), (studio.pk, "Alpha's own")}


def test_another_studios_editor_and_reset_answer_404(owner_client, studio, other_studio):
    theirs = _save(other_studio, "scheduling/booking_confirmed", "en", "Bravo's own", "Bravo")
    edit = reverse("mail-template-edit", kwargs={"studio_slug": studio.slug, "pk": theirs.pk})
    reset = reverse("mail-template-reset", kwargs={"studio_slug": studio.slug, "pk": theirs.pk})
    assert owner_client.get(edit).status_code == 404
    assert owner_client.post(edit, {"subject": "Mine", "body": "Mine"}).status_code == 404
    assert owner_client.post(reset, {"confirmed": "1"}).status_code == 404
    with scopes_disabled():
        assert MailTemplateOverride.objects.get(pk=theirs.pk).subject == "Bravo's own"
    # Their version is not listed as ours, and "customize" opens an empty editor of our own.
    listing = owner_client.get(reverse("mail-template-list", kwargs={"studio_slug": studio.slug}))
    assert f"/emails/{theirs.pk}/" not in listing.content.decode()
    page = owner_client.get(_editor_url(studio, "scheduling/booking_confirmed", "en"))
    assert page.status_code == 200 and "Bravo" not in page.content.decode()


# --- The editor -------------------------------------------------------------------------------------


def test_the_list_shows_every_template_per_language_in_a_fixed_number_of_queries(owner_client, studio):
    url = reverse("mail-template-list", kwargs={"studio_slug": studio.slug})
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        page = owner_client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    with translation.override("en"):
        assert str(registry.get("memberships/card_expiring").label) in body
    assert "Password reset" not in body  # platform mail
    for name in (
        "scheduling/booking_confirmed",
        "waivers.link",
        "memberships/sold",
        "memberships/penalty_fee",
    ):
        for language in LANGUAGES:
            _save(
                studio,
                name,
                language,
                "{studio_name}",
                "{studio_name} {link}" if name == "waivers.link" else "x",
            )
    with CaptureQueriesContext(connection) as many:
        page = owner_client.get(url)
    assert len(many) == len(one)
    assert page.content.decode().count("Your version") == 8


def test_save_from_the_editor_then_reset_through_the_confirm_page(owner_client, studio):
    url = _editor_url(studio, "scheduling/booking_confirmed", "fr")
    page = owner_client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-insert="{client_first_name}"' in body and 'sandbox=""' not in body
    response = owner_client.post(
        url, {"subject": "Réservé : {class_name}", "body": "Bonjour {client_first_name} ²"}
    )
    with scopes_disabled():
        override = MailTemplateOverride.objects.get(studio=studio)
    assert response.status_code == 302 and response["Location"].endswith(f"/emails/{override.pk}/")
    assert override.language == "fr" and override.body == "Bonjour {client_first_name} ²"
    # The same "customize" link now leads to the saved version.
    assert owner_client.get(url)["Location"].endswith(f"/emails/{override.pk}/")
    edit = reverse("mail-template-edit", kwargs={"studio_slug": studio.slug, "pk": override.pk})
    assert owner_client.post(edit, {"subject": "Réservé", "body": "Bonjour"}).status_code == 302
    override.refresh_from_db()
    assert override.subject == "Réservé"

    reset = reverse("mail-template-reset", kwargs={"studio_slug": studio.slug, "pk": override.pk})
    asked = owner_client.post(reset)
    assert asked.status_code == 200 and 'name="confirmed"' in asked.content.decode()
    with scopes_disabled():
        assert MailTemplateOverride.objects.filter(pk=override.pk).exists()
    done = owner_client.post(reset, {"confirmed": "1"})
    assert done.status_code == 302
    with scopes_disabled():
        assert not MailTemplateOverride.objects.filter(pk=override.pk).exists()
        actions = list(AuditLog.objects.filter(studio=studio).order_by("id").values_list("action", flat=True))
    assert actions[-3:] == ["mail_template.created", "mail_template.changed", "mail_template.reset"]
    for action in actions[-3:]:
        assert action in audit.ACTIONS
    assert {"mail_template", "mail_language"} <= set(audit.FIELDS)


def test_after_a_reset_the_default_is_sent_again(studio, celery_eager, django_capture_on_commit_callbacks):
    override = _save(studio, "scheduling/booking_confirmed", "en", "Custom", "Custom body")
    with scope(studio=studio):
        template_services.mail_override_reset(studio=studio, actor=_actor(studio), override=override)
    booking = _booking(studio, language="en")
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        send_booking_email(booking=booking, kind="confirmed")
    assert mail.outbox[0].subject.startswith("You are booked")


def test_the_editor_refuses_with_clear_messages_and_saves_nothing(owner_client, studio):
    url = _editor_url(studio, "scheduling/booking_confirmed", "en")
    with translation.override("en"):
        cases = [
            ({"subject": "Hi", "body": "Hello {nope}"}, "Unknown placeholder {nope}"),
            ({"subject": "Hi", "body": "Hello </body>"}, "&lt;/body&gt; is not allowed"),
            ({"subject": "x" * 300, "body": "Hello"}, "at most 200 characters"),
            ({"subject": "Hi", "body": "x" * 10_001}, "at most 10000 characters"),
            ({"subject": "", "body": ""}, "required"),
        ]
        for data, words in cases:
            response = owner_client.post(url, data)
            assert response.status_code == 200, data
            assert words in response.content.decode(), (words, data)
        # NUL never reaches a form: the middleware answers 400 with its sentence.
        refused = owner_client.post(url, {"subject": "Hi", "body": "Hello\x00there"})
        assert refused.status_code == 400
    with scopes_disabled():
        assert not MailTemplateOverride.objects.exists()


def test_hostile_template_and_language_parameters_answer_404(owner_client, studio):
    for name, language in [
        ("nope", "en"),
        ("scheduling/booking_confirmed", "xx"),
        ("registration/password_reset", "en"),
        ("x" * 300, "²"),
    ]:
        assert owner_client.get(_editor_url(studio, name, language)).status_code == 404, (name, language)
    preview = reverse("mail-template-preview", kwargs={"studio_slug": studio.slug})
    assert (
        owner_client.post(
            preview, {"template": "nope", "language": "en", "subject": "x", "body": "y"}
        ).status_code
        == 404
    )


def test_preview_is_one_htmx_round_trip_in_a_sandboxed_frame(owner_client, studio):
    preview = reverse("mail-template-preview", kwargs={"studio_slug": studio.slug})
    data = {
        "template": "scheduling/booking_confirmed",
        "language": "fr",
        "subject": "Réservé : {class_name}",
        "body": "Bonjour <b>{client_first_name}</b>, à {starts_at}.",
    }
    response = owner_client.post(preview, data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body  # the partial only
    frame = re.search(r'<iframe[^>]*sandbox=""[^>]*srcdoc="([^"]*)"', body)
    assert frame, body
    srcdoc = html.unescape(frame.group(1))
    assert "<b>Camille</b>" in srcdoc and "1er décembre 2026" in srcdoc and 'lang="fr"' in srcdoc
    assert studio.brand_primary in srcdoc  # the real layout
    assert "Réservé :" in body
    with scopes_disabled():
        assert not MailTemplateOverride.objects.exists()  # a preview saves nothing

    refused = owner_client.post(preview, {**data, "body": "Bonjour {prenom}"}, HTTP_HX_REQUEST="true")
    assert (
        refused.status_code == 200
        and "{prenom}" in refused.content.decode()
        and "<iframe" not in refused.content.decode()
    )
    # Without htmx: the editor page with the preview under the form.
    full = owner_client.post(preview, data)
    assert full.status_code == 200 and "<html" in full.content.decode() and "<iframe" in full.content.decode()


@pytest.mark.parametrize("kind", [RoleKind.TEACHER, RoleKind.FRONT_DESK])
def test_staff_without_manage_settings_are_refused(login, studio, staff_factory, kind):
    theirs = _save(studio, "scheduling/booking_confirmed", "en", "Own", "Own")
    c = login(staff_factory(kind).user)
    slug = studio.slug
    urls = [
        ("get", reverse("mail-template-list", kwargs={"studio_slug": slug})),
        ("get", _editor_url(studio, "scheduling/booking_confirmed", "fr")),
        ("post", _editor_url(studio, "scheduling/booking_confirmed", "fr")),
        ("post", reverse("mail-template-edit", kwargs={"studio_slug": slug, "pk": theirs.pk})),
        ("post", reverse("mail-template-preview", kwargs={"studio_slug": slug})),
        ("post", reverse("mail-template-reset", kwargs={"studio_slug": slug, "pk": theirs.pk})),
    ]
    for method, url in urls:
        data = {
            "subject": "Hacked",
            "body": "Hacked",
            "confirmed": "1",
            "template": "scheduling/booking_confirmed",
            "language": "fr",
        }
        assert getattr(c, method)(url, data if method == "post" else None).status_code == 403, url
    with scopes_disabled():
        assert list(MailTemplateOverride.objects.values_list("subject", flat=True)) == ["Own"]


def test_the_settings_tabs_offer_emails(owner_client, studio):
    url = reverse("settings", kwargs={"studio_slug": studio.slug})
    target = reverse("mail-template-list", kwargs={"studio_slug": studio.slug})
    assert f'href="{target}"' in owner_client.get(url).content.decode()


# --- One mail path ------------------------------------------------------------------------------------

STRAY = re.compile(
    r"\b(send_mail|send_mass_mail|mail_admins|mail_managers)\(|\bEmailMessage\(|\bEmailMultiAlternatives\("
)
SKIP_DIRS = {
    ".venv",
    "tests",
    "stripe_sandbox",
    "node_modules",
    ".git",
    "staticfiles",
    ".data",
    "__pycache__",
}


def test_no_mail_is_sent_outside_the_notifications_package():
    root = Path(settings.BASE_DIR)
    notifications = root / "studio" / "notifications"
    found = []
    for path in root.rglob("*.py"):
        parts = set(path.relative_to(root).parts)
        if parts & SKIP_DIRS or notifications in path.parents:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if STRAY.search(line) and not line.lstrip().startswith("#"):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert not found, "send mail through studio.notifications.services.notification_send:\n" + "\n".join(
        found
    )


def test_the_stray_send_walk_would_see_one():
    assert STRAY.search("    django.core.mail.send_mail(subject, body, None, [to])")
    assert STRAY.search("msg = EmailMultiAlternatives(subject=s)")
    assert not STRAY.search("def send_mail_later(self):")
