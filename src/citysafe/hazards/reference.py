"""Reference data of the hazards app: the 24 sectors with their supervising departments (三管三必须).

The sectors are the 24 domains of the Chongqing work plan's annex 二; the default supervising department of each is
the lead unit the annex names for it (e.g. 消防领域 -> 市消防救援局).  GB/T 4754-2017 prefixes route enterprises by
their registered industry code.  Administrators edit the table in the admin; reloading never overwrites an edit.
"""

import csv

from django.db import transaction

from citysafe.core.services import find_organization

from .models import Industry


def _industries_csv():
    from importlib import resources
    from pathlib import Path

    return Path(str(resources.files("citysafe.hazards") / "data" / "industries.csv"))


@transaction.atomic
def load_industries() -> int:
    """Create missing sectors (idempotent; existing rows keep their edited department).  Returns rows created."""
    created = 0
    with _industries_csv().open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            _industry, was_created = Industry.objects.get_or_create(
                code=row["code"], defaults={"name": row["name"], "gbt4754_codes": row["gbt4754_prefixes"],
                                            "supervising_department": find_organization(row["supervising_department"])})
            created += was_created
    return created
