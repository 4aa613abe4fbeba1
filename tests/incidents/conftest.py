import datetime as dt

import pytest
from django.utils import timezone

YUZHONG = (106.57, 29.555)
WANZHOU = (108.40, 30.80)


@pytest.fixture
def recent():
    """An occurrence time 30 minutes ago (inside every window)."""
    return timezone.now() - dt.timedelta(minutes=30)


@pytest.fixture
def incidents(admin_user, recent):
    from citysafe.incidents import services

    return {name: services.create_incident(user=admin_user, kind="accident", title=f"{name} 厂房火灾",
                                           occurred_at=recent, lon=lon, lat=lat, deaths=1,
                                           reporter_name="张三", reporter_phone="13812345678")
            for name, (lon, lat) in {"yz": YUZHONG, "wz": WANZHOU}.items()}
