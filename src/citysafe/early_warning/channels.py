"""Delivery channels of the 叫应 calls, behind one interface: ``send(attempt) -> Delivery``.

* ``in_app``  — the call is visible in the application (the attempt row itself is the notification); always sent.
* ``email``   — Django ``send_mail`` to the person's address (SMTP settings ``EMAIL_HOST``/``EMAIL_PORT`` …).
* ``webhook`` — a JSON POST signed with HMAC-SHA256 (header ``X-Citysafe-Signature: sha256=<hex>``) to
  ``CITYSAFE_WEBHOOK_URL`` with the secret ``CITYSAFE_WEBHOOK_SECRET``, for SMS/voice gateways and WeCom/DingTalk
  bots; skipped when either is unset.
* ``mqtt``    — publish to ``citysafe/v1/warnings/<region adcode>`` (sirens, displays); skipped when the broker is
  unreachable.

A skipped or failed delivery is not retried by the channel: the plan's retries and the escalation take care of it.
"""

import hashlib
import hmac
import json
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass

from django.conf import settings


@dataclass
class Delivery:
    ok: bool
    result: str


class Channel(ABC):
    """One way of reaching a person; ``send`` returns whether it worked and a short result for the log."""

    name = ""

    @abstractmethod
    def send(self, attempt) -> Delivery:
        """Deliver one call attempt."""


def message(attempt) -> dict:
    warning = attempt.warning
    return {"warning": warning.pk, "level": warning.level, "hazard_type": warning.hazard_type,
            "headline": warning.headline, "area": warning.area_desc, "person": attempt.person.name,
            "attempt": attempt.pk, "attempt_no": attempt.attempt_no, "tier": attempt.tier,
            "region": warning.region.adcode if warning.region_id else "",
            "ack_before": attempt.escalate_at.isoformat()}


class InApp(Channel):
    name = "in_app"

    def send(self, attempt) -> Delivery:
        return Delivery(True, "in-app notification listed")


class Email(Channel):
    name = "email"

    def send(self, attempt) -> Delivery:
        from django.core.mail import send_mail

        address = attempt.person.email
        if not address:
            return Delivery(False, "skipped: no e-mail address")
        body = message(attempt)
        text = (f"{body['headline']}\n{body['area']}\n\n"
                f"请在 {attempt.escalate_at:%Y-%m-%d %H:%M} 前确认收到(叫应)。预警编号 {body['warning']}。")
        try:
            send_mail(f"[叫应] {body['headline']}", text, getattr(settings, "DEFAULT_FROM_EMAIL", None), [address])
        except OSError as exc:  # smtplib errors are OSErrors
            return Delivery(False, f"smtp error: {exc}"[:300])
        return Delivery(True, f"mailed to {address}")


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Webhook(Channel):
    name = "webhook"

    def send(self, attempt) -> Delivery:
        url = getattr(settings, "CITYSAFE_WEBHOOK_URL", "")
        secret = getattr(settings, "CITYSAFE_WEBHOOK_SECRET", "")
        if not url or not secret:
            return Delivery(False, "skipped: CITYSAFE_WEBHOOK_URL/SECRET not set")
        body = json.dumps(message(attempt), ensure_ascii=False).encode()
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Citysafe-Signature": sign(secret, body)})
        try:
            # timeout: project default, seconds a gateway may take before the attempt counts as failed
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - configured URL
                return Delivery(200 <= response.status < 300, f"HTTP {response.status}")
        except OSError as exc:
            return Delivery(False, f"webhook error: {exc}"[:300])


class Mqtt(Channel):
    name = "mqtt"
    timeout_s = 5  # project default: seconds to wait for the broker (connect and QoS 1 PUBACK)

    def send(self, attempt) -> Delivery:
        # A client of our own rather than ``publish.single``: paho 2.2's helper prints a spurious "Client is not
        # connected" line on every call, and we want the QoS 1 PUBACK before calling the attempt delivered.
        import paho.mqtt.client as mqtt

        payload = message(attempt)
        topic = f"citysafe/v1/warnings/{payload['region'] or 'city'}"
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        if getattr(settings, "CITYSAFE_MQTT_USERNAME", ""):
            client.username_pw_set(settings.CITYSAFE_MQTT_USERNAME, settings.CITYSAFE_MQTT_PASSWORD)
        try:
            client.connect(getattr(settings, "CITYSAFE_MQTT_HOST", "127.0.0.1"),
                           getattr(settings, "CITYSAFE_MQTT_PORT", 1883), keepalive=10)
        except OSError as exc:
            return Delivery(False, f"skipped: MQTT broker unreachable ({exc})"[:300])
        client.loop_start()
        try:
            info = client.publish(topic, json.dumps(payload, ensure_ascii=False), qos=1)
            info.wait_for_publish(timeout=self.timeout_s)
            published = info.is_published()
        except (OSError, RuntimeError, ValueError) as exc:
            return Delivery(False, f"mqtt error: {exc}"[:300])
        finally:
            client.disconnect()
            client.loop_stop()
        if not published:
            return Delivery(False, f"mqtt: no PUBACK from the broker within {self.timeout_s} s")
        return Delivery(True, f"published to {topic}")


CHANNELS: dict[str, Channel] = {c.name: c for c in (InApp(), Email(), Webhook(), Mqtt())}


def deliver(attempt) -> Delivery:
    channel = CHANNELS.get(attempt.channel)
    if channel is None:
        return Delivery(False, f"unknown channel {attempt.channel}")
    try:
        return channel.send(attempt)
    except Exception as exc:  # noqa: BLE001 - a broken channel must not stop the tick
        return Delivery(False, f"error: {type(exc).__name__}: {exc}"[:300])
