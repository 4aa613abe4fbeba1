import datetime as dt

import pytest
from django.utils import timezone


@pytest.fixture
def demo(admin_user):
    """The demo plans (two city plans, the 渝中 flood plan, the demo enterprise's plan) and drills."""
    from citysafe.plans import demo
    from citysafe.plans.models import EmergencyPlan

    demo.prepare(admin_user)
    return {p.code: p for p in EmergencyPlan.objects.filter(is_demo=True)}


@pytest.fixture
def recent():
    return timezone.now() - dt.timedelta(minutes=30)


@pytest.fixture
def make_incident(admin_user, recent):
    from citysafe.incidents import services

    def make(**fields):
        fields.setdefault("title", "测试事件")
        fields.setdefault("occurred_at", recent)
        return services.create_incident(user=admin_user, **fields)

    return make
