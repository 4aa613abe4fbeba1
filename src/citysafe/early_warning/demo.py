"""The warning loop in ``citysafe demo`` (all demo data, fictitious people).

* ``link_operator``: the demo district operator of 渝中 becomes the village 包保责任人 of the risk point watched by
  the first 渝中 demo device, so the live storm calls a person who can log in and acknowledge on a phone.
* ``past_loop``: a finished loop from yesterday evening, played through the real services with explicit times:
  a yellow rainstorm warning at a 渝中 risk point is upgraded to red, the village 包保责任人 stays silent past the
  5-minute deadline and the call escalates to the deputy (AB角), who acknowledges; the response actions are opened,
  reported (evacuation with a count) and the warning, once cleared, is closed with feedback.  Its timeline shows
  every step.
* ``DemoResponder``: during the live storm, fictitious 包保责任人 acknowledge some of their in-app calls after a
  short delay; the others stay silent, so their calls escalate — "some acknowledge, one escalates".
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from citysafe.core.models import Person

from . import calls, services
from .models import CallAttempt, CallStatus, EarlyWarning, WarningStatus

OPERATOR = "yuzhong"
PAST_SOURCE = "demo-past"
ACK_SHARE = 7  # out of 10 fictitious people answer (project demo choice, not a statistic)


def _device(external_id: str):
    from citysafe.monitoring.models import Device

    return Device.objects.filter(external_id=external_id, is_demo=True).select_related("risk_point", "region").first()


def link_operator(username: str = OPERATOR) -> Person | None:
    """Give the district operator a Person and make it the village 包保责任人 of DEMO-500103-1's risk point."""
    from citysafe.hazards.models import ResponsibilityAssignment

    user = get_user_model().objects.filter(username=username).first()
    device = _device("DEMO-500103-1")
    if user is None or device is None or device.risk_point_id is None:
        return None
    person, _ = Person.objects.get_or_create(user=user, defaults={
        "name": "渝中区值班员(演示)", "title": "村级包保责任人", "phone": "13800009999",
        "organization": getattr(getattr(user, "profile", None), "organization", None)})
    assignment = ResponsibilityAssignment.objects.filter(risk_point=device.risk_point, level="village").first()
    if assignment and assignment.person_id != person.pk:
        assignment.person = person
        assignment.save(update_fields=["person"])
    return person


def past_loop(admin, now: dt.datetime | None = None) -> EarlyWarning | None:
    """Play yesterday's loop at DEMO-500103-2 (idempotent: skipped when it exists)."""
    device = _device("DEMO-500103-2")
    if device is None or device.risk_point_id is None or EarlyWarning.objects.filter(
            headline__startswith="【演示】", risk_point=device.risk_point).exists():
        return None
    now = now or timezone.now()
    t0 = (now - dt.timedelta(days=1)).replace(hour=19, minute=40, second=0, microsecond=0)
    at = lambda minutes: t0 + dt.timedelta(minutes=minutes)  # noqa: E731 - a timeline in minutes from t0
    with transaction.atomic():
        outcome = services.set_device_level(device, "rainstorm", "yellow", at=t0, value=52.0)
        warning = outcome.warning
        warning.headline = "【演示】" + warning.headline
        warning.save(update_fields=["headline"])
    _loop_steps(warning, t0, at)
    _respond_and_close(warning, admin, at)
    return warning


def _loop_steps(warning, t0, at) -> None:
    from . import response

    calls.plan_calls(warning.pk, now=t0)
    _open_actions(response, warning, t0)
    calls.tick(now=at(0.2), worker="demo")
    with transaction.atomic():
        outcome = services.set_device_level(_device("DEMO-500103-2"), "rainstorm", "red", at=at(20), value=101.5)
        outcome.warning.headline = "【演示】" + outcome.warning.headline.removeprefix("【演示】")
        outcome.warning.save(update_fields=["headline"])
    calls.plan_calls(warning.pk, now=at(20))
    _open_actions(response, warning, at(20), kind="upgraded")
    calls.tick(now=at(20.2), worker="demo")
    # the village 包保责任人 stays silent: after the red deadline (5 min) the deputy is called and answers
    calls.tick(now=at(26), worker="demo")
    calls.tick(now=at(26.2), worker="demo")
    deputy = (CallAttempt.objects.filter(warning=warning, escalated_from__isnull=False)
              .select_related("person").first())
    if deputy:
        calls.acknowledge(warning.pk, deputy.person, channel="in_app", now=at(29))


def _open_actions(response, warning, now, kind="raised") -> None:
    response.open_actions(warning.pk, now=now)


def _respond_and_close(warning, admin, at) -> None:
    """Report the required actions, clear the warning when the rain eased, close the loop with feedback."""
    from . import response

    warning.refresh_from_db()
    for n, action in enumerate(warning.actions.order_by("deadline", "pk")):
        evacuated = 23 if action.kind == "evacuate" else None
        response.report_action(user=admin, action=action, executed_at=at(40 + 5 * n), evacuated=evacuated,
                               note="【演示数据】已按预案落实。" + ("已转移受威胁群众 23 人至村安置点。" if evacuated else ""),
                               now=at(42 + 5 * n))
    with transaction.atomic():
        services.set_device_level(_device("DEMO-500103-2"), "rainstorm", "none", at=at(190))
    calls.stop_calls(warning.pk, "cleared")
    response.close_warning(user=admin, warning=EarlyWarning.objects.get(pk=warning.pk), now=at(200),
                           feedback="【演示数据】降雨减弱，预警解除；受威胁群众已转移安置，无人员伤亡。")


class DemoResponder:
    """Fictitious people acknowledge some in-app calls 30-110 s after they were sent; the rest stay silent.

    People with a login (the demo operator) are left to the human at the keyboard."""

    def respond(self, now: dt.datetime | None = None) -> int:
        now = now or timezone.now()
        answered = 0
        sent = (CallAttempt.objects.filter(status=CallStatus.SENT, channel="in_app", informational=False,
                                           warning__status=WarningStatus.ACTIVE, person__user__isnull=True,
                                           sent_at__isnull=False)
                .select_related("person").order_by("pk")[:200])
        for attempt in sent:
            if (attempt.person_id * 7 + attempt.warning_id) % 10 >= ACK_SHARE:
                continue  # this one stays silent and will be escalated
            delay = 30 + (attempt.person_id % 5) * 20
            if (now - attempt.sent_at).total_seconds() >= delay:
                answered += calls.acknowledge(attempt.warning_id, attempt.person, channel="in_app", now=now) is not None
        return answered
