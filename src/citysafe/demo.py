"""``citysafe demo``: a working city in one command.

Migrates the SQLite database, loads reference data, imports the Chongqing 2026 work plan shipped with the
package, creates one user per role (new random passwords on every run, printed once) and adds a set of progress
reports so that the dashboard shows every status.  Demo reports are marked 【演示数据】 in their narrative.
"""

import datetime as dt
import random
import secrets
from importlib import resources

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from citysafe.core import roles
from citysafe.core.models import Organization, Region, UserProfile
from citysafe.core.services import migrate_all, setup_reference_data
from citysafe.workplans import services as wp
from citysafe.workplans.models import Target, WorkPlan

DEMO_MARK = "【演示数据】"
SEED_FILE = "chongqing-2026-work-points.txt"

DEMO_USERS = [
    ("admin", roles.MUNICIPAL_ADMIN, "市应急管理局", None, True),
    ("yuzhong", roles.DISTRICT_OPERATOR, "渝中区政府", "500103", False),
    ("wanzhou", roles.DISTRICT_OPERATOR, "万州区政府", "500101", False),
    ("yingji", roles.DEPARTMENT_OPERATOR, "市应急管理局", None, False),
    ("viewer", roles.VIEWER, None, "500000", False),
    ("qiye", roles.ENTERPRISE_OPERATOR, "渝中区演示机械制造有限公司", None, False),
]


def seed_bytes() -> bytes:
    return (resources.files("citysafe.workplans") / "data" / SEED_FILE).read_bytes()


def prepare_demo(stdout=None) -> list[dict]:
    """Set everything up (idempotent apart from the passwords) and return the logins created."""
    say = (lambda msg: print(msg, file=stdout, flush=True)) if stdout else (lambda msg: None)
    say("migrating database …")
    migrate_all()
    say("loading reference data (roles, regions, organisations) …")
    setup_reference_data()
    logins = _users()
    admin = get_user_model().objects.get(username="admin")
    say("importing the Chongqing 2026 work plan …")
    result = wp.import_plan(seed_bytes(), SEED_FILE, user=admin)
    say(f"work plan: {result.plan} — " + ", ".join(f"{k} {v}" for k, v in result.counts.items()))
    _demo_progress(result.plan, admin)
    say("generating demo hazards and risk points (marked as demo data) …")
    from citysafe.hazards.demo import prepare as prepare_hazards

    say("hazards demo: " + ", ".join(f"{k} {v}" for k, v in prepare_hazards(admin).items()))
    from citysafe.incidents.demo import prepare as prepare_incidents
    from citysafe.resources.demo import prepare as prepare_resources

    say("emergency resources demo: " + ", ".join(f"{k} {v}" for k, v in prepare_resources(admin).items()))
    say("incidents demo: " + ", ".join(f"{k} {v}" for k, v in prepare_incidents(admin).items()))
    from citysafe.records.demo import prepare as prepare_records

    say("statistics demo: " + ", ".join(f"{k} {v}" for k, v in prepare_records(admin).items()))
    from citysafe.plans.demo import prepare as prepare_plans

    say("emergency plans demo: " + ", ".join(f"{k} {v}" for k, v in prepare_plans(admin).items()))
    from citysafe.evaluation.demo import prepare as prepare_kpis

    say("KPIs from the records: " + ", ".join(f"{k} {v}" for k, v in prepare_kpis(admin).items()))
    _say_report_link(say)
    from citysafe.monitoring.simulator import create_demo_devices

    say(f"demo monitoring devices: {create_demo_devices()} new")
    from citysafe.early_warning import demo as warning_demo

    warning_demo.link_operator()
    past = warning_demo.past_loop(admin)
    if past is not None:
        say(f"warning loop: yesterday's rainstorm warning at {past.risk_point} played through (see its timeline)")
    return logins


def _say_report_link(say) -> None:
    """Where to download a quarterly duty report (述职) of a unit that leads many targets."""
    unit = Organization.objects.filter(name="市住房城乡建委").first() or Organization.objects.filter(
        kind="department").first()
    if unit is not None:
        from django.urls import reverse

        from citysafe.evaluation.scorecards import parse_period

        url = reverse("evaluation:report_download", args=[unit.pk, "docx"])
        say(f"quarterly duty report of {unit.name}: {url}?period={parse_period(None).code} (also .xlsx)")


def _users() -> list[dict]:
    User = get_user_model()
    logins = []
    for username, role, org_name, adcode, staff in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.is_staff = user.is_superuser = staff
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        organization = Organization.objects.filter(name=org_name).first() if org_name else None
        if organization is None and role == roles.ENTERPRISE_OPERATOR:
            organization = Organization.objects.create(name=org_name, kind="enterprise",
                                                       region=Region.objects.get(adcode="500103"))
        region = Region.objects.filter(adcode=adcode).order_by("-valid_from").first() if adcode else None
        if region is None and organization is not None:
            region = organization.region if role == roles.DISTRICT_OPERATOR else None
        UserProfile.objects.update_or_create(user=user, defaults={"organization": organization, "region": region})
        logins.append({"username": username, "password": password, "role": str(roles.ROLE_LABELS[role])})
    return logins


@transaction.atomic
def _demo_progress(plan: WorkPlan, admin) -> None:
    """Progress reports with plausible values (fixed random seed), once per plan."""
    if Target.objects.filter(task__plan=plan, reports__narrative__startswith=DEMO_MARK).exists():
        return
    rng = random.Random(2026)
    today = timezone.localdate()
    as_of = min(today, dt.date(plan.year, 12, 31)) if today.year >= plan.year else dt.date(plan.year, 1, 31)
    elapsed = max(0.05, (as_of - dt.date(plan.year, 1, 1)).days / 365)
    # the eight annex KPIs are computed from the statistics records (evaluation.kpi_services), never reported by hand
    for target in Target.objects.filter(task__plan=plan).exclude(task__kind="kpi").select_related("task"):
        lead = target.task.lead_unit
        if lead is not None and lead.is_group:
            lead = Organization.objects.get(name="市应急管理局")  # the committee offices sit in the emergency bureau
        if lead is None or rng.random() < 0.15:
            continue  # some targets have no report yet
        value = _plausible_value(target, elapsed, rng)
        if target.comparator in {"decrease_by_at_least", "decrease_by"}:
            target.baseline = round(value / max(elapsed, 0.1) * rng.uniform(0.9, 1.15), 0)
            target.save(update_fields=["baseline"])
        wp.submit_progress_report(user=admin, target=target, reporting_unit=lead, as_of=as_of, value=value,
                                  narrative=f"{DEMO_MARK}{lead.name}报送的模拟进展。")
    wp.propose_supervisions()


def _plausible_value(target: Target, elapsed: float, rng: random.Random) -> float:
    if target.comparator in {"<=", "<", "="}:
        if target.value == 0:
            return 0.0 if rng.random() < 0.85 else 1.0
        return round(target.value * rng.uniform(0.3, 1.2) * (elapsed if target.unit in {"起", "人"} else 1), 1)
    if target.comparator in {"decrease_by_at_least", "decrease_by"}:
        return float(rng.randint(40, 400))
    share = min(1.0, elapsed * rng.uniform(0.4, 1.3))
    return round(target.value * share, 1)
