"""The Celery application: configured from Django settings under the CELERY_ namespace."""

import os

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdmo_portal.settings.local")


class AuditedTask(Task):
    """Every task's writes are attributed to it in the audit trail ("task:sweep_sla")."""

    def __call__(self, *args, **kwargs):
        from audit.trail import system_actor  # Django's apps are ready by now

        with system_actor(f"task:{self.name.rsplit('.', 1)[-1]}"):
            return super().__call__(*args, **kwargs)


app = Celery("cdmo_portal", task_cls=AuditedTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
