"""Run the SLA sweep once, or every N seconds (the demo's stand-in for Celery beat)."""

import time

from audit.trail import AuditedCommand
from scorecards import sweep


class Command(AuditedCommand):
    help = "Record due breaches, send due notices, recompute stale clocks."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="Repeat every N seconds.")

    def handle(self, *args, every, **options):
        while True:
            summary = sweep.run()
            if options["verbosity"] > 1 or any(summary.values()):
                self.stdout.write(f"sla sweep: {summary}")
            if not every:
                return
            time.sleep(every)
