"""SMS delivery through a provider interface, pluggable like Django's e-mail backends:
KETACARE_SMS_BACKEND = "dotted.path.ToClass". KetaCare ships a console and a file backend
(the demo and tests use them; neither touches the network) and a backend for Twilio's
Messages API, which Twilio-compatible providers also answer (KETACARE_SMS_API_URL).

Numbers are normalised to E.164 with the `phonenumbers` library before they are sent."""

from __future__ import annotations

import base64
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Protocol
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

import phonenumbers
from django.conf import settings
from django.utils.module_loading import import_string

from ketacare.messaging.delivery import DeliveryError, PermanentDeliveryError


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str) -> str | None:
        """Send one message to an E.164 number; answer the provider's id, if any. Raise
        DeliveryError to have it retried, PermanentDeliveryError to give up."""


def normalise_number(number: str, *, region: str | None = None) -> str:
    """`number` in E.164 (+447700900123). A number without a country code is read as
    one of KETACARE_SMS_DEFAULT_REGION. An invalid number cannot be delivered."""
    try:
        parsed = phonenumbers.parse(number, region or settings.KETACARE_SMS_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise PermanentDeliveryError("invalid phone number") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise PermanentDeliveryError("invalid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class ConsoleSmsBackend:
    def send(self, *, to: str, body: str) -> str | None:
        sys.stdout.write(f"[SMS to {to}] {body}\n")
        return None


class FileSmsBackend:
    """Appends each message as one JSON line to KETACARE_SMS_FILE_PATH."""

    def send(self, *, to: str, body: str) -> str | None:
        path = Path(settings.KETACARE_SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = {"to": to, "body": body, "at": dt.datetime.now(dt.UTC).isoformat()}
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")
        return None


class TwilioSmsBackend:
    """Twilio's Messages API: POST {KETACARE_SMS_API_URL}/2010-04-01/Accounts/{account}/
    Messages.json with To, From and Body, HTTP basic authentication with the account id
    and auth token. 429 and 5xx answers and network errors are retried; other 4xx
    answers (a rejected number or credentials) are not."""

    def send(self, *, to: str, body: str) -> str | None:
        account = settings.KETACARE_SMS_ACCOUNT_ID
        url = (
            f"{settings.KETACARE_SMS_API_URL.rstrip('/')}/2010-04-01/Accounts/"
            f"{quote(account, safe='')}/Messages.json"
        )
        credentials = f"{account}:{settings.KETACARE_SMS_AUTH_TOKEN}".encode()
        request = Request(  # noqa: S310 - the URL is the operator's configured provider
            url,
            data=urlencode({"To": to, "From": settings.KETACARE_SMS_FROM, "Body": body}).encode(),
            method="POST",
            headers={
                "Authorization": "Basic " + base64.b64encode(credentials).decode(),
                "Accept": "application/json",
            },
        )
        try:
            with urlopen(request, timeout=settings.KETACARE_SMS_TIMEOUT_SECONDS) as answer:  # noqa: S310
                text = answer.read()
        except HTTPError as exc:
            reason = f"SMS provider answered HTTP {exc.code}"
            if exc.code in {408, 429} or exc.code >= 500:
                raise DeliveryError(reason) from exc
            raise PermanentDeliveryError(reason) from exc
        except (URLError, TimeoutError, OSError) as exc:
            raise DeliveryError(f"SMS provider unreachable ({type(exc).__name__})") from exc
        try:
            payload = json.loads(text or b"{}")
        except ValueError:  # taken (2xx) but no JSON: sent, without the provider's id
            return None
        return str(payload.get("sid") or "") or None if isinstance(payload, dict) else None


def get_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.KETACARE_SMS_BACKEND)()
    return backend
