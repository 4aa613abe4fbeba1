import datetime as dt

import pytest
from django.utils import timezone


@pytest.fixture
def region():
    from citysafe.core.models import Region

    def get(adcode):
        return Region.objects.filter(adcode=adcode).order_by("-valid_from").first()
    return get


@pytest.fixture
def record(admin_user, region):
    """A large accident in 渝中区 (3 deaths)."""
    from citysafe.records import services

    return services.create_record(user=admin_user, title="某工地坍塌", occurred_on=timezone.localdate(),
                                  region=region("500103"), grade="large", deaths=3, direct_loss_yuan=1_000_000)


@pytest.fixture
def wanzhou_record(admin_user, region):
    from citysafe.records import services

    return services.create_record(user=admin_user, title="万州某事故", occurred_on=timezone.localdate(),
                                  region=region("500101"), deaths=1)


@pytest.fixture
def event(admin_user):
    from citysafe.records import services

    return services.create_event(user=admin_user, title="强降雨过程", hazard_type="洪涝",
                                 start_date=timezone.localdate() - dt.timedelta(days=10))
