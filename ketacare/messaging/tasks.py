from __future__ import annotations

from django_tasks import task

from ketacare.messaging.services import message_deliver


@task()
def deliver_message(message_id: str) -> str:
    return message_deliver(message_id=message_id).status
