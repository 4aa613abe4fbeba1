from django.core.management.base import BaseCommand

from citysafe.monitoring.simulator import Simulator, create_demo_devices


class Command(BaseCommand):
    help = "Run the demo rainstorm: demo devices report through MQTT (or in-process without a broker)."

    def add_arguments(self, parser):
        parser.add_argument("--duration", type=float, default=1800.0, help="storm length in seconds")
        parser.add_argument("--stop-after", type=float, default=None, help="exit after this many seconds")
        parser.add_argument("--in-process", action="store_true", help="skip MQTT even if a broker is reachable")

    def handle(self, *args, **options):
        create_demo_devices()
        sim = Simulator(duration_s=options["duration"], use_mqtt=False if options["in_process"] else None)
        self.stdout.write(f"simulating a rainstorm with {len(sim.devices)} demo devices "
                          f"({'MQTT' if sim.use_mqtt else 'in-process'})")
        from citysafe.early_warning.demo import DemoResponder

        sim.run(stop_after_s=options["stop_after"], after_step=DemoResponder().respond)
