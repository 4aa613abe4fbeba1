"""``citysafe ingest``: the MQTT ingest worker (see docs/ingest.md)."""

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from citysafe.monitoring.mqtt import (
    DEFAULT_SESSION_EXPIRY_S,
    DEFAULT_TOPIC,
    Subscriber,
    SubscriberConfig,
    default_client_id,
)


class Command(BaseCommand):
    help = "Subscribe to device readings over MQTT 5 (shared subscription), store them and evaluate the rules."

    subscriber: Subscriber | None = None

    def add_arguments(self, parser):
        parser.add_argument("--host", default=getattr(settings, "CITYSAFE_MQTT_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(getattr(settings, "CITYSAFE_MQTT_PORT", 1883)))
        parser.add_argument("--shared-group", default="citysafe",
                            help="MQTT 5 shared-subscription group ($share/<group>/<topic>); default citysafe")
        parser.add_argument("--no-share", action="store_true", help="plain subscription (a single worker)")
        parser.add_argument("--client-id", default=None,
                            help="stable, unique per worker (default citysafe-ingest-<hostname>); the broker keeps "
                                 "the session under this id across restarts")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--flush-ms", type=int, default=200)
        parser.add_argument("--topic", default=DEFAULT_TOPIC)
        parser.add_argument("--session-expiry", type=int, default=DEFAULT_SESSION_EXPIRY_S,
                            help="seconds the broker keeps the session and queues messages while this worker is "
                                 "down (default 3600)")
        parser.add_argument("--log-every", type=float, default=60.0, help="seconds between count log lines")

    def handle(self, *args, **options):
        # Count lines (every --log-every seconds) and connection events are INFO; -v 0 keeps only warnings.
        logging.getLogger("citysafe.monitoring").setLevel(
            {0: logging.WARNING, 1: logging.INFO}.get(options["verbosity"], logging.DEBUG))
        config = SubscriberConfig(
            host=options["host"], port=options["port"], client_id=options["client_id"] or default_client_id(),
            shared_group=None if options["no_share"] else options["shared_group"], topic=options["topic"],
            batch_size=max(1, options["batch_size"]), flush_ms=max(1, options["flush_ms"]),
            session_expiry_s=options["session_expiry"], log_every_s=options["log_every"])
        self.subscriber = Subscriber(config)
        if threading.current_thread() is threading.main_thread():
            def stop(signum, frame):
                self.stderr.write(f"citysafe ingest: signal {signum}, flushing and disconnecting")
                self.subscriber._stop.set()

            signal.signal(signal.SIGINT, stop)
            signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"citysafe ingest: {config.host}:{config.port} {config.subscription} as {config.client_id}")
        self.subscriber.run()
        stats = self.subscriber.stats
        self.stdout.write(f"citysafe ingest: stopped; received {stats.received}, stored {stats.stored}, "
                          f"duplicates {stats.duplicates}, dead letters {stats.dead_letters}")
