"""Delivery, in the worker. Services enqueue these by name after commit."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone
from django_scopes import scopes_disabled

from studio.notifications import services
from studio.notifications.models import Message, MessageStatus, PlatformMessage
from studio.tasking import studio_task

# A queued message older than this was never delivered (the broker was down at commit time,
# or the worker died mid-send): the sweep sends it again.
STALE_AFTER = timedelta(minutes=10)


@studio_task(name="studio.notifications.tasks.deliver_message")
def deliver_message(studio_id: int, message_id: int) -> bool:
    message = Message.objects.select_related("studio").filter(pk=message_id).first()
    if message is None:
        return False
    return services.message_deliver(message=message)


@shared_task(name="studio.notifications.tasks.deliver_platform_message")
def deliver_platform_message(message_id: int) -> bool:
    message = PlatformMessage.objects.filter(pk=message_id).first()
    if message is None:
        return False
    return services.message_deliver(message=message)


def _due(now) -> Q:
    stale_queued = Q(status=MessageStatus.QUEUED, created_at__lt=now - STALE_AFTER)
    failed = Q(status=MessageStatus.FAILED)
    return (stale_queued | failed) & Q(attempts__lt=services.MAX_ATTEMPTS)


@shared_task(name="studio.notifications.tasks.sweep_undelivered")
def sweep_undelivered() -> int:
    """Beat: enqueue every message never delivered or failed with attempts left.

    One of the fan-out places allowed to read across studios: it only collects ids and hands
    each message to a task that runs inside its own studio's scope.
    """
    now = timezone.now()
    with scopes_disabled():
        due = list(Message.objects.filter(_due(now)).values_list("studio_id", "id")[:500])
    for studio_id, message_id in due:
        deliver_message.delay(studio_id, message_id)
    platform_due = list(PlatformMessage.objects.filter(_due(now)).values_list("id", flat=True)[:500])
    for message_id in platform_due:
        deliver_platform_message.delay(message_id)
    return len(due) + len(platform_due)
