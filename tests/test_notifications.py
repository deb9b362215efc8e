"""One way to send mail (studio.notifications): language, branding, after-commit delivery, the
guardian rule, the record, and the outboxes staff and the platform operator read."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from studio.models import Invitation, Message, PlatformMessage
from studio.notifications import selectors, services, tasks
from studio.notifications.models import MessageStatus
from studio.notifications.services import Addressee, notification_send
from studio.permissions import BUILT_IN_DEFAULTS, Perm, RoleKind
from tests.factories import ClientFactory, FamilyLinkFactory, StaffFactory, owner_of, role_of

pytestmark = pytest.mark.django_db

FRENCH_ACCEPT = "Acceptez l"  # "Acceptez l'invitation ici…", in the text part and (escaped) in the HTML


def _invite(studio, *, email="ana@example.test", language="en"):
    """Record an invitation email (the real template) to `email` in `language`."""
    with scopes_disabled():
        invitation = Invitation.objects.create(
            studio=studio,
            email=email,
            role=role_of(studio, RoleKind.TEACHER),
            token=f"tok-{email}",
            invited_by=owner_of(studio).user,
            expires_at="2099-01-01T00:00:00Z",
        )
    with scope(studio=studio):
        return notification_send(
            studio=studio,
            recipient=Addressee(email=email, language=language),
            template="studio/invitation",
            context={"invitation": invitation, "url": f"http://testserver/{studio.slug}/invite/x/"},
        )


def test_mail_is_recorded_now_and_sent_by_the_worker_after_commit(
    studio, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [message] = _invite(studio)
    assert mail.outbox == []  # nothing leaves before the transaction commits
    assert message.status == MessageStatus.QUEUED
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ana@example.test"]
    assert (
        sent.from_email == "Studio alpha <no-reply@atelier.test>"
    )  # the studio's name, the platform's address
    assert sent.subject == "You are invited to join Studio alpha on Atelier"
    html, mimetype = sent.alternatives[0]
    assert mimetype == "text/html"
    assert "Studio alpha" in html and 'href="http://testserver/alpha/invite/x/"' in html
    with scopes_disabled():
        message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.sent_at is not None and message.attempts == 1


def test_a_rolled_back_transaction_sends_and_records_nothing(studio, celery_eager):
    with pytest.raises(RuntimeError), transaction.atomic():
        _invite(studio)
        raise RuntimeError("the request failed after the mail was asked for")
    with scopes_disabled():
        assert not Message.objects.filter(studio=studio).exists()
    assert mail.outbox == []


def test_the_recipients_language_not_the_page_s(studio, celery_eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [message] = _invite(studio, language="fr")
    assert message.language == "fr"
    assert mail.outbox[0].subject == "Vous êtes invité à rejoindre Studio alpha sur Atelier"
    assert FRENCH_ACCEPT in mail.outbox[0].body and FRENCH_ACCEPT in message.body_html
    assert 'lang="fr"' in message.body_html


def test_a_client_is_written_to_in_their_language_with_the_studio_logo(
    studio, celery_eager, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        studio.logo.save("alpha.png", ContentFile(b"\x89PNG fake"), save=True)
    camille = ClientFactory(studio=studio, email="camille@example.test", language="fr")
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        [message] = notification_send(
            studio=studio,
            recipient=camille,
            template="studio/invitation",
            context={"invitation": None, "url": "http://testserver/x/"},
        )
    assert message.language == "fr" and message.client == camille and message.about_client == camille
    # Absolute: mail is read outside the site.
    assert f'src="http://127.0.0.1:8000{studio.logo.url}"' in message.body_html


def test_a_dependant_without_email_is_written_to_through_each_guardian(
    studio, other_studio, celery_eager, django_capture_on_commit_callbacks
):
    child = ClientFactory(studio=studio, email="", first_name="Ben")
    mum = ClientFactory(studio=studio, email="mum@example.test", language="fr", first_name="Anne")
    dad = ClientFactory(studio=studio, email="dad@example.test", language="en", first_name="Marc")
    no_address = ClientFactory(studio=studio, email="")
    for guardian in (mum, dad, no_address):
        FamilyLinkFactory(guardian=guardian, dependant=child)
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        messages = notification_send(
            studio=studio,
            recipient=child,
            template="studio/invitation",
            context={"invitation": None, "url": "http://testserver/x/"},
        )
    assert sorted((m.to_email, m.language) for m in messages) == [
        ("dad@example.test", "en"),
        ("mum@example.test", "fr"),
    ]
    assert {m.about_client for m in messages} == {child}
    assert sorted(m.to for m in mail.outbox) == [["dad@example.test"], ["mum@example.test"]]
    with scope(studio=studio):
        assert {m.to_email for m in selectors.messages_for_client(client=child, limit=5)} == {
            "mum@example.test",
            "dad@example.test",
        }
        assert [m.to_email for m in selectors.messages_for_client(client=mum, limit=5)] == [
            "mum@example.test"
        ]
        assert selectors.messages_for_client(client=child, limit=1).__len__() == 1


def test_a_failed_send_is_recorded_and_the_sweep_sends_it_later(
    studio, celery_eager, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.test_notifications.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        [message] = _invite(studio)
    with scopes_disabled():
        message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "SMTPServerDisconnected" in message.error and message.attempts == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tasks.sweep_undelivered() == 1
    with scopes_disabled():
        message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.error == "" and message.attempts == 2
    assert len(mail.outbox) == 1
    assert tasks.sweep_undelivered() == 0  # a sent message is never swept again


def test_delivery_is_idempotent(studio, celery_eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [message] = _invite(studio)
    with scope(studio=studio):
        assert services.message_deliver(message=message) is False  # a redelivered task
    assert len(mail.outbox) == 1


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        import smtplib

        raise smtplib.SMTPServerDisconnected("mail server went away")


def test_password_reset_is_platform_mail_in_the_persons_language(
    client, owner, celery_eager, django_capture_on_commit_callbacks
):
    owner.user.language = "fr"
    owner.user.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": owner.user.email})
    [message] = PlatformMessage.objects.all()
    assert message.template == "registration/password_reset" and message.user == owner.user
    assert message.language == "fr" and message.subject == "Réinitialisez votre mot de passe Atelier"
    assert message.status == MessageStatus.SENT
    assert re.search(r"http://127\.0\.0\.1:8000/reset/[^/]+/[^/]+/", message.body_text)
    assert mail.outbox[0].from_email == "Atelier <no-reply@atelier.test>"


def test_a_reset_token_is_not_kept_once_sent_in_production(
    client, owner, celery_eager, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS_KEEP_SECRET_BODIES = False
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": owner.user.email})
    [message] = PlatformMessage.objects.all()
    assert message.redacted and message.body_text == "" and message.body_html == ""
    assert "/reset/" in mail.outbox[0].body  # the person still got the link


# --- the outboxes ------------------------------------------------------------------------------


def test_staff_outbox_lists_this_studio_s_messages_only(
    login, studio, other_studio, owner, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [mine] = _invite(studio, email="mine@example.test")
        [theirs] = _invite(other_studio, email="theirs@example.test")
    c = login(owner.user)
    page = c.get(reverse("message-list", kwargs={"studio_slug": studio.slug})).content.decode()
    assert "mine@example.test" in page and "theirs@example.test" not in page
    assert (
        c.get(reverse("message-detail", kwargs={"studio_slug": studio.slug, "pk": theirs.pk})).status_code
        == 404
    )
    detail = c.get(
        reverse("message-detail", kwargs={"studio_slug": studio.slug, "pk": mine.pk})
    ).content.decode()
    assert "srcdoc=" in detail and 'sandbox="' in detail  # the HTML part, rendered in a frame without scripts
    assert '<a href="http://testserver/alpha/invite/x/">' in detail  # its link, clickable


def test_an_invitation_link_is_shown_only_to_staff_who_manage_staff(
    login, studio, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [message] = _invite(studio)
    clerk = StaffFactory(studio=studio, kind=RoleKind.FRONT_DESK)  # may read messages, not manage staff
    page = login(clerk.user).get(
        reverse("message-detail", kwargs={"studio_slug": studio.slug, "pk": message.pk})
    )
    assert page.status_code == 200
    assert "You are invited" in page.content.decode()  # the subject
    assert "/invite/x/" not in page.content.decode()  # not the link that would let them join as anyone


def test_teachers_cannot_read_the_outbox(login, studio):
    teacher = StaffFactory(studio=studio, kind=RoleKind.TEACHER)
    assert (
        login(teacher.user).get(reverse("message-list", kwargs={"studio_slug": studio.slug})).status_code
        == 403
    )


def test_the_outbox_filters_by_client(login, studio, owner, celery_eager, django_capture_on_commit_callbacks):
    camille = ClientFactory(studio=studio, email="camille@example.test")
    other = ClientFactory(studio=studio, email="other@example.test")
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        for person in (camille, other):
            notification_send(
                studio=studio,
                recipient=person,
                template="studio/invitation",
                context={"invitation": None, "url": "http://testserver/x/"},
            )
    url = reverse("message-list", kwargs={"studio_slug": studio.slug}) + f"?client={camille.pk}"
    page = login(owner.user).get(url).content.decode()
    assert "camille@example.test" in page and "other@example.test" not in page


def test_platform_outbox_is_for_the_platform_operator(
    client, login, studio, other_studio, owner, user_factory, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [alpha] = _invite(studio, email="a@example.test")
        _invite(other_studio, email="b@example.test")
        client.post(reverse("password_reset"), {"email": owner.user.email})
    reset = PlatformMessage.objects.get()

    # A studio owner is not the platform operator.
    assert login(owner.user).get(reverse("platform-outbox")).status_code == 403
    operator = user_factory(is_staff=True)
    c = login(operator)
    page = c.get(reverse("platform-outbox")).content.decode()
    assert "a@example.test" in page and "b@example.test" in page and owner.user.email in page
    detail = c.get(
        reverse("platform-outbox-detail", kwargs={"kind": "platform", "pk": reset.pk})
    ).content.decode()
    link = re.search(r'<a href="(http://127\.0\.0\.1:8000/reset/[^"]+)"', detail)
    assert link, "the reset link is clickable in the outbox"
    assert (
        c.get(reverse("platform-outbox-detail", kwargs={"kind": "studio", "pk": alpha.pk})).status_code == 200
    )
    assert (
        c.get(reverse("platform-outbox-detail", kwargs={"kind": "nope", "pk": alpha.pk})).status_code == 404
    )


def test_built_in_roles_that_handle_clients_may_read_messages(studio):
    assert Perm.VIEW_MESSAGES in BUILT_IN_DEFAULTS[RoleKind.FRONT_DESK]
    assert Perm.VIEW_MESSAGES not in BUILT_IN_DEFAULTS[RoleKind.TEACHER]
    assert Perm.VIEW_MESSAGES in role_of(studio, RoleKind.MANAGER).effective_permissions


def test_every_registered_template_renders_in_both_languages(studio):
    """A template file missing or broken fails here, not in the worker at 3 a.m."""
    import scheduling.emails  # noqa: F401 - registers scheduling's templates
    from studio.notifications import registry

    names = {t.name for t in registry.all_templates()}
    assert {
        "studio/invitation",
        "registration/password_reset",
        "scheduling/booking_confirmed",
        "scheduling/appointment_cancelled",
    } <= names
    for template in registry.all_templates():
        for language in ("fr", "en"):
            subject, text, html = services._render(
                template,
                language=language,
                context={
                    "brand": services.brand_for(studio),
                    "studio": studio,
                    "kind": template.name.rsplit("_", 1)[-1],
                    "recipient": Addressee(email="x@example.test", language=language, name="X"),
                    "url": "http://x/",
                    "email": "x@example.test",
                    "account_url": "http://x/account/",
                },
            )
            assert subject and text.strip() and "<html" in html, (template.name, language)


# --- the walk, in a real browser --------------------------------------------------------------

WALK = {
    "en": {
        "subject": "You are invited to join Studio alpha on Atelier",
        "button": "Accept the invitation",
        "join": "Join Studio alpha on Atelier",
        "submit": "Create my login and join",
        "welcome": "Welcome to Studio alpha.",
    },
    "fr": {
        "subject": "Vous êtes invité à rejoindre Studio alpha sur Atelier",
        "button": "Accepter l'invitation",
        "join": "Rejoindre Studio alpha sur Atelier",
        "submit": "Créer mon compte et rejoindre",
        "welcome": "Bienvenue chez Studio alpha.",
    },
}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_invite_then_follow_the_link_from_the_outbox_in_the_browser(
    language, browser, live_server, page, log_in_as, studio, owner, password, settings, celery_eager
):
    """No mail server: the owner invites, reads the invitation in the outbox, follows its link;
    the invitee opens that link in their own browser and joins."""
    settings.SITE_URL = live_server.url  # the links in the mail point at this server
    words = WALK[language]
    with scopes_disabled():
        studio.language = language  # an invitee has no account yet: the studio's language
        studio.save(update_fields=["language"])
    owner.user.language = language
    owner.user.save(update_fields=["language"])
    with scopes_disabled():
        teacher_role = role_of(studio, RoleKind.TEACHER)

    log_in_as(owner.user.email, password)
    page.goto(f"/{studio.slug}/manage/staff/invite/")
    page.fill("#id_email", "ana@example.test")
    page.select_option("#id_role", str(teacher_role.pk))
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"**/{studio.slug}/manage/staff/")

    page.click(f"a[href='/{studio.slug}/manage/messages/']")  # the menu entry
    page.click(f"text={words['subject']}")
    page.wait_for_url(f"**/{studio.slug}/manage/messages/*/")
    assert "ana@example.test" in page.inner_text("dl.facts")
    # The HTML part as sent, in a sandboxed frame; its button leaves the outbox for the link.
    frame = page.frame_locator("iframe.message-preview")
    button = frame.get_by_role("link", name=words["button"], exact=True)
    assert button.get_attribute("href").startswith(f"{live_server.url}/{studio.slug}/invite/")
    button.click()
    page.wait_for_url("**/invite/**")
    invite_url = page.url
    assert words["join"] in page.inner_text("h1")

    # The invitee, in their own browser.
    context = browser.new_context(base_url=live_server.url, locale="fr-CA" if language == "fr" else "en-CA")
    invitee = context.new_page()
    invitee.goto(invite_url)
    invitee.fill("#id_first_name", "Ana")
    invitee.fill("#id_last_name", "Souza")
    invitee.fill("#id_password", "Teach-yoga-every-day-9")
    invitee.click(f"text={words['submit']}")
    invitee.wait_for_url(f"**/{studio.slug}/manage/")
    assert words["welcome"] in invitee.inner_text(".messages")
    context.close()
    with scopes_disabled():
        from studio.models import StaffMember

        assert StaffMember.objects.get(studio=studio, user__email="ana@example.test").role == teacher_role
        [message] = Message.objects.filter(studio=studio)
    assert message.language == language and message.status == MessageStatus.SENT


def test_a_french_subject_keeps_its_non_breaking_space(studio):
    import scheduling.emails  # noqa: F401 - registers scheduling's templates
    from studio.notifications import registry

    subject, _text, _html = services._render(
        registry.get("scheduling/booking_confirmed"),
        language="fr",
        context={
            "kind": "confirmed",
            "what": "Yoga",
            "when": "3 décembre",
            "brand": services.brand_for(studio),
        },
    )
    assert subject == "Réservation confirmée\xa0: Yoga, 3 décembre"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_password_reset_followed_from_the_platform_outbox(
    language, browser, live_server, page, log_in_as, owner, user_factory, password, settings, celery_eager
):
    """The platform operator reads a staff member's reset mail in /outbox/ and its link works."""
    settings.SITE_URL = live_server.url
    owner.user.language = language
    owner.user.save(update_fields=["language"])
    subject = {"en": "Reset your Atelier password", "fr": "Réinitialisez votre mot de passe Atelier"}[
        language
    ]

    context = browser.new_context(base_url=live_server.url, locale="fr-CA" if language == "fr" else "en-CA")
    someone = context.new_page()
    someone.goto("/password-reset/")
    someone.fill("#id_email", owner.user.email)
    someone.click("form.card button[type=submit]")
    someone.wait_for_url("**/password-reset/sent/")

    operator = user_factory(email="platform@example.test", is_staff=True)
    log_in_as(operator.email, password)
    page.goto("/outbox/")
    page.click(f"text={subject}")
    page.wait_for_url("**/outbox/platform/*/")
    link = page.locator(".message-links a").first
    assert link.get_attribute("href").startswith(f"{live_server.url}/reset/")
    reset_url = link.get_attribute("href")

    # The person follows the link in their own browser and chooses a new password.
    someone.goto(reset_url)
    someone.fill("#id_new_password1", "Brand-new-pass-77")
    someone.fill("#id_new_password2", "Brand-new-pass-77")
    someone.click("form.card button[type=submit]")
    someone.wait_for_url("**/reset/done/")
    context.close()
    owner.user.refresh_from_db()
    assert owner.user.check_password("Brand-new-pass-77")
    assert PlatformMessage.objects.get().language == language
