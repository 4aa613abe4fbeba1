"""Demo incidents (marked ``is_demo``), played through the real services so grades, reports and deadlines are
genuine: an ordinary accident later upgraded by a follow-up, a reported-late one (overdue flag), a flood."""

import datetime as dt

from django.utils import timezone

from citysafe.hazards.models import Industry

from . import services
from .models import Incident

# (title, kind, industry or disaster type, lon, lat, hours ago, initial figures, follow-ups [(hours later, level, figures)])
DEMO = [
    ("某建筑工地脚手架坍塌(演示)", "accident", "construction_housing", 106.575, 29.557, 30, {"deaths": 2, "serious_injuries": 3},
     [(0.8, "city", {"deaths": 3, "serious_injuries": 4}), (20, "city", {})]),
    ("某化工企业储罐闪爆(演示)", "accident", "hazardous_chemicals", 108.39, 30.79, 5, {"serious_injuries": 2}, []),
    ("长江万州段暴雨洪涝(演示)", "natural_disaster", "flood", 108.41, 30.81, 8, {"deaths": 1, "missing": 2},
     [(1.5, "city", {"relocated": 12000})]),
]


def prepare(admin) -> dict:
    """Create the demo incidents once (idempotent: does nothing when demo incidents exist)."""
    if Incident.objects.filter(is_demo=True).exists():
        return {"incidents": 0}
    now = timezone.now()
    for title, kind, category, lon, lat, hours_ago, figures, follow_ups in DEMO:
        occurred = now - dt.timedelta(hours=hours_ago)
        extra = ({"industry": Industry.objects.filter(code=category).first()} if kind == "accident"
                 else {"disaster_type": category})
        incident = services.create_incident(user=admin, kind=kind, title=title, occurred_at=occurred,
                                            reported_at=occurred + dt.timedelta(minutes=40), lon=lon, lat=lat,
                                            reporter_name="值班员(演示)", reporter_phone="13800000000",
                                            is_demo=True, **figures, **extra)
        for hours_later, level, changes in follow_ups:
            services.add_report(user=admin, incident=incident, kind="follow_up", level=level,
                                reported_at=occurred + dt.timedelta(hours=hours_later), note="续报(演示)", **changes)
    return {"incidents": len(DEMO)}
