"""Recompute every request's stored clocks, breaches and notices under the current rules.

Run once after the clock rules change (as SPEC §3 edges 13-15 did), so stored clocks follow;
safe to run any number of times: a request whose result is unchanged writes nothing.
"""

from django.core.management import CommandError

from audit.trail import AuditedCommand
from scorecards import recompute


class Command(AuditedCommand):
    help = "Recompute the SLA clocks of every request, in batches; print what changed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=500, help="Requests per transaction (default 500)."
        )

    def handle(self, *args, batch, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        requests, changed, clocks = recompute.recompute_all(batch=batch)
        self.stdout.write(
            f"recompute_clocks: {requests} requests, {clocks} clocks changed"
            f" (on {changed} requests)"
        )
