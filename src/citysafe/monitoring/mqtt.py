"""The MQTT ingest worker: subscribe, batch, :func:`~citysafe.monitoring.ingest.ingest`, acknowledge.

* paho-mqtt 2, MQTT 5, a stable client id, ``clean_start=False`` and a session expiry interval: the broker keeps
  the subscription and queues QoS 1 messages while the worker restarts.
* ``$share/<group>/<topic>`` at QoS 1, so N workers share the load (any worker can take any message: per-device
  state lives in the database).
* ``on_message`` only enqueues.  A batcher thread flushes every ``batch_size`` messages or ``flush_ms``
  milliseconds into ``ingest`` and only then sends the PUBACKs (``manual_ack``): a message is acknowledged once it is
  committed (stored or dead-lettered), so a crash loses nothing; re-delivery is harmless because storage is
  idempotent.  Acknowledgements for a connection that has since dropped are not sent (the broker re-delivers).
* Reconnects with exponential backoff (paho's loop, 1 s .. 30 s); a failing flush (database down) is retried with
  backoff and the messages stay unacknowledged meanwhile.
* :meth:`Subscriber.stop` (SIGINT/SIGTERM in the command) flushes what was received, acknowledges it and disconnects.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from django.conf import settings
from django.db import close_old_connections, connections
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

log = logging.getLogger(__name__)

DEFAULT_TOPIC = "citysafe/v1/devices/+/readings"
DEFAULT_SESSION_EXPIRY_S = 3600  # how long the broker keeps a stopped worker's session and queued messages


def default_client_id() -> str:
    """Stable per host and data directory, so a restarted worker resumes its session."""
    return f"citysafe-ingest-{socket.gethostname()}"[:64]


@dataclass
class SubscriberConfig:
    host: str = field(default_factory=lambda: getattr(settings, "CITYSAFE_MQTT_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(getattr(settings, "CITYSAFE_MQTT_PORT", 1883)))
    username: str | None = field(default_factory=lambda: getattr(settings, "CITYSAFE_MQTT_USERNAME", None) or None)
    password: str | None = field(default_factory=lambda: getattr(settings, "CITYSAFE_MQTT_PASSWORD", None) or None)
    client_id: str = field(default_factory=default_client_id)
    shared_group: str | None = "citysafe"  # None: plain subscription (--no-share)
    topic: str = DEFAULT_TOPIC
    batch_size: int = 500
    flush_ms: int = 200
    session_expiry_s: int = DEFAULT_SESSION_EXPIRY_S
    keepalive: int = 30
    log_every_s: float = 60.0
    receive_maximum: int = 0  # unacknowledged messages the broker may send at once; 0 = 4 x batch_size

    @property
    def subscription(self) -> str:
        return f"$share/{self.shared_group}/{self.topic}" if self.shared_group else self.topic


@dataclass
class Stats:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    batches: int = 0
    errors: int = 0
    connects: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _default_sink(messages: list[tuple[str, bytes]]):
    from .ingest import ingest

    return ingest(messages, "mqtt")


class Subscriber:
    """One ingest worker.  ``run()`` blocks until ``stop()``; ``start()`` runs it in a background thread."""

    def __init__(self, config: SubscriberConfig | None = None,
                 sink: Callable[[list[tuple[str, bytes]]], object] | None = None):
        self.config = config or SubscriberConfig()
        self.sink = sink or _default_sink
        self.stats = Stats()
        self._cond = threading.Condition()
        self._queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._generation = 0  # bumped on every (re)connect; acks of older generations are not sent
        self._thread: threading.Thread | None = None
        self.client = self._make_client()

    # --- MQTT ---------------------------------------------------------------------------------------------------
    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.config.client_id,
                             protocol=mqtt.MQTTv5, manual_ack=True)
        if self.config.username:
            client.username_pw_set(self.config.username, self.config.password)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def _connect_properties(self) -> Properties:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.config.session_expiry_s
        props.ReceiveMaximum = min(65535, self.config.receive_maximum or max(100, 4 * self.config.batch_size))
        return props

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("MQTT connect to %s:%s refused: %s", self.config.host, self.config.port, reason_code)
            return
        with self._cond:
            self._generation += 1
            self.stats.connects += 1
        log.info("MQTT connected to %s:%s as %s (session present: %s)", self.config.host, self.config.port,
                 self.config.client_id, flags.session_present)
        self._connected.set()
        # Subscribing again on a resumed session is harmless and covers a session that expired meanwhile.
        client.subscribe(self.config.subscription, options=SubscribeOptions(qos=1))

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        if any(rc.is_failure for rc in reason_codes):
            log.error("MQTT subscription to %s refused: %s", self.config.subscription, reason_codes)
            return
        self._subscribed.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self._connected.clear()
        self._subscribed.clear()
        if not self._stop.is_set():
            log.warning("MQTT disconnected (%s); reconnecting with backoff", reason_code)

    def _on_message(self, client, userdata, message):
        self._queue.put((self._generation, message.mid, message.qos, message.topic, bytes(message.payload)))
        with self._cond:
            self.stats.received += 1

    # --- batching -----------------------------------------------------------------------------------------------
    def _collect(self) -> list:
        """Wait for a first message (up to flush_ms), then gather up to batch_size within flush_ms."""
        timeout = self.config.flush_ms / 1000
        try:
            first = self._queue.get(timeout=timeout)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + timeout
        while len(batch) < self.config.batch_size:
            remaining = deadline - time.monotonic()
            try:
                batch.append(self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _flush(self, batch: list) -> bool:
        """Ingest and acknowledge ``batch``; retry with backoff while the database fails.  False if given up."""
        messages = [(topic, payload) for _, _, _, topic, payload in batch]
        delay = 0.5
        while True:
            try:
                result = self.sink(messages)
                break
            except Exception:  # noqa: BLE001 - infrastructure failure: keep the messages, retry
                log.exception("ingest of %d messages failed; retrying in %.1f s", len(messages), delay)
                with self._cond:
                    self.stats.errors += 1
                close_old_connections()
                for conn in connections.all(initialized_only=True):
                    if conn.errors_occurred or not conn.is_usable():
                        conn.close()
                if self._stop.wait(delay):
                    log.warning("stopping with %d messages unacknowledged; the broker re-delivers them",
                                len(messages))
                    return False
                delay = min(delay * 2, 30)
        generation = self._generation
        for gen, mid, qos, _, _ in batch:
            if qos > 0 and gen == generation:
                self.client.ack(mid, qos)
        with self._cond:
            self.stats.batches += 1
            self.stats.stored += getattr(result, "stored", 0)
            self.stats.duplicates += getattr(result, "duplicates", 0)
            self.stats.dead_letters += getattr(result, "dead_letters", 0)
            self._cond.notify_all()
        return True

    def _batch_loop(self) -> None:
        last_log = time.monotonic()
        try:
            while not self._stop.is_set():
                batch = self._collect()
                if batch:
                    self._flush(batch)
                if time.monotonic() - last_log >= self.config.log_every_s:
                    last_log = time.monotonic()
                    log.info("ingest: %s", self.stats.as_dict())
            # Graceful stop: take what already arrived, store it and acknowledge it.
            batch = []
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            for start in range(0, len(batch), self.config.batch_size):
                if not self._flush(batch[start:start + self.config.batch_size]):
                    break
        finally:
            connections.close_all()

    # --- lifecycle ----------------------------------------------------------------------------------------------
    def run(self) -> None:
        """Connect (retrying), consume until :meth:`stop`, then flush, acknowledge and disconnect."""
        cfg = self.config
        self.client.connect_async(cfg.host, cfg.port, keepalive=cfg.keepalive, clean_start=False,
                                  properties=self._connect_properties())
        self.client.loop_start()
        try:
            self._batch_loop()
        finally:
            time.sleep(0.05)  # let the last PUBACKs leave
            self.client.disconnect()
            self.client.loop_stop()
            log.info("ingest stopped: %s", self.stats.as_dict())

    def start(self) -> Subscriber:
        self._thread = threading.Thread(target=self.run, name=f"ingest-{self.config.client_id}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = 30) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def wait_subscribed(self, timeout: float = 10) -> bool:
        return self._subscribed.wait(timeout)

    def wait_for(self, predicate: Callable[[Stats], bool], timeout: float) -> bool:
        """Block until ``predicate(stats)`` holds (checked after every flush) or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.stats):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.2))
            return True


def forget_session(client_id: str, host: str | None = None, port: int | None = None,
                   username: str | None = None, password: str | None = None, timeout: float = 5) -> None:
    """Drop a worker's persistent session on the broker (connect with clean start and expiry 0).

    Use when a worker is retired for good: otherwise a shared-subscription broker may keep queueing that group's
    messages for the stopped session until it expires.
    """
    cfg = SubscriberConfig()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    if username or cfg.username:
        client.username_pw_set(username or cfg.username, password or cfg.password)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 0
    client.connect(host or cfg.host, port or cfg.port, keepalive=10, clean_start=True, properties=props)
    client.loop_start()
    deadline = time.monotonic() + timeout
    while not client.is_connected() and time.monotonic() < deadline:
        time.sleep(0.02)
    client.disconnect()
    client.loop_stop()


def broker_reachable(host: str, port: int, timeout: float = 2) -> str | None:
    """None if a TCP connection to the broker succeeds, else the reason."""
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return None
    except OSError as exc:
        return f"{host}:{port}: {exc}"


__all__ = ["DEFAULT_TOPIC", "Subscriber", "SubscriberConfig", "Stats", "forget_session", "broker_reachable",
           "default_client_id"]
