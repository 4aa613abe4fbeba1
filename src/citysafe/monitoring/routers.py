"""Database routing for readings.

With SQLite (the embedded default) readings live in their own file (alias ``readings``, WAL) so a burst of sensor
writes never blocks the web pages' database.  With PostgreSQL there is one database and ``monitoring_reading`` is a
table range-partitioned by month (see the monitoring migrations).
"""

from django.conf import settings

READINGS_MODELS = {("monitoring", "reading")}


def readings_alias() -> str:
    return "readings" if "readings" in settings.DATABASES else "default"


class ReadingsRouter:
    def _is_reading(self, model) -> bool:
        return (model._meta.app_label, model._meta.model_name) in READINGS_MODELS

    def db_for_read(self, model, **hints):
        return readings_alias() if self._is_reading(model) else None

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if "readings" not in settings.DATABASES:
            return None
        is_reading = (app_label, model_name) in READINGS_MODELS
        if db == "readings":
            return is_reading
        return False if is_reading else None
