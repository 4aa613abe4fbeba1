import datetime as dt

import pytest
from django.utils import timezone


@pytest.fixture
def make_resource(reference):
    from citysafe.core.models import Organization, Region
    from citysafe.resources.models import Resource

    def make(name, kind="team", lon=106.58, lat=29.56, org="渝中区政府", adcode="500103", **fields):
        return Resource.objects.create(kind=kind, name=name, lon=lon, lat=lat,
                                       organization=Organization.objects.get(name=org) if org else None,
                                       region=Region.objects.filter(adcode=adcode).first() if adcode else None,
                                       **fields)

    return make


@pytest.fixture
def make_incident(reference):
    from citysafe.core.models import Region
    from citysafe.incidents.models import Incident

    def make(title="渝中区仓库火灾", adcode="500103", lon=106.58, lat=29.56):
        return Incident.objects.create(kind="accident", title=title, occurred_at=timezone.now() - dt.timedelta(hours=1),
                                       region=Region.objects.filter(adcode=adcode).first(), lon=lon, lat=lat)

    return make
