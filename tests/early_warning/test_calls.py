"""Call-and-acknowledge (叫应): per-person acks, escalation, durable claims, re-planning and channels."""

import datetime as dt
import socket
import threading

import pytest
from django.db import connections
from django.utils import timezone

from citysafe.core.models import Organization, Person, Region
from citysafe.early_warning import calls, channels, services
from citysafe.early_warning.models import Acknowledgement, CallAttempt, CallPlan, EarlyWarning, WarningStatus
from citysafe.hazards.models import ResponsibilityAssignment, RiskPoint
from citysafe.workplans.models import Supervision

T0 = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)


def at(seconds):
    return T0 + dt.timedelta(seconds=seconds)


def tier(targets, channels_=("in_app",), deadline=300, retries=1, interval=120):
    return {"targets": targets, "channels": list(channels_), "ack_deadline_s": deadline, "retries": retries,
            "retry_interval_s": interval}


@pytest.fixture
def world(reference):
    """A landslide risk point in 渝中区 with village / township persons (village has a deputy), two duty officers
    of a government organisation, and test plans for landslide (red, yellow) and gale (red, duty only)."""
    region = Region.objects.get(adcode="500103")
    gov = Organization.objects.create(name="测试叫应区政府", kind="government", region=region)
    Organization.objects.filter(kind="government", region=region).exclude(pk=gov.pk).update(region=None)
    people = {name: Person.objects.create(name=name, organization=org, email=f"{code}@example.org")
              for name, org, code in [("村长", None, "v"), ("村副", None, "vd"), ("镇长", None, "t"),
                                      ("值班甲", gov, "d1"), ("值班乙", gov, "d2")]}
    point = RiskPoint.objects.create(code="FX-CALL-1", name="测试滑坡点", kind="landslide", region=region,
                                     lon=106.57, lat=29.55)
    ResponsibilityAssignment.objects.create(risk_point=point, level="village", person=people["村长"],
                                            deputy=people["村副"])
    ResponsibilityAssignment.objects.create(risk_point=point, level="township", person=people["镇长"])
    CallPlan.objects.create(name="滑坡红", level="red", hazard_type="landslide",
                            tiers=[tier("village"), tier("township", retries=0)])
    CallPlan.objects.create(name="滑坡黄", level="yellow", hazard_type="landslide",
                            tiers=[tier("village", deadline=900, retries=0)])
    CallPlan.objects.create(name="大风红", level="red", hazard_type="gale", tiers=[tier("duty")])
    return {"region": region, "gov": gov, "point": point, **people}


def _warning(world, level="red", hazard="landslide", **kw):
    return EarlyWarning.objects.create(source_key=f"manual:{hazard}:{level}", hazard_type=hazard, level=level,
                                       headline=f"测试{hazard}{level}预警", region=world["region"],
                                       risk_point=world["point"], onset=T0, raised_at=T0, updated_at=T0, **kw)


def _rows(warning, **kw):
    return CallAttempt.objects.filter(warning=warning, **kw)


def test_default_plans_are_reference_data(reference):
    red = CallPlan.objects.get(level="red", hazard_type="")
    assert red.tiers[0]["ack_deadline_s"] == 300 and red.tiers[0]["retries"] == 2
    assert [t["targets"] for t in red.tiers] == ["village", "township", "district", "duty"]
    assert calls.load_default_plans() == 0  # idempotent


def test_plan_calls_the_first_tier_now_with_retries(world):
    warning = _warning(world)
    assert calls.plan_calls(warning, now=T0) == 2
    first, retry = _rows(warning).order_by("attempt_no")
    assert (first.person, first.due_at, first.attempt_no) == (world["村长"], T0, 1)
    assert (retry.due_at, retry.attempt_no, retry.escalate_at) == (at(120), 2, at(300))
    assert first.deputy == world["村副"] and first.tier == 0
    stats = calls.tick(now=T0)
    assert stats["sent"] == 1
    first.refresh_from_db()
    assert first.status == "sent" and first.sent_at == T0 and "in_app" in first.result


def test_one_persons_ack_does_not_silence_the_others(world):
    warning = _warning(world, hazard="gale")
    calls.plan_calls(warning, now=T0)
    assert set(_rows(warning).values_list("person__name", flat=True)) == {"值班甲", "值班乙"}
    calls.tick(now=T0)
    calls.acknowledge(warning, world["值班甲"], "in_app", now=at(30))
    stats = calls.tick(now=at(130))
    assert stats["sent"] == 1  # only 值班乙's retry
    assert _rows(warning, person=world["值班乙"], status="sent").count() == 2
    assert set(_rows(warning, person=world["值班甲"]).values_list("status", flat=True)) == {"acknowledged",
                                                                                        "cancelled"}
    # 值班乙 stays silent past the deadline: only that person is escalated (last tier -> 叫应失败)
    stats = calls.tick(now=at(301))
    assert stats["supervisions"] == 1
    assert _rows(warning, person=world["值班甲"], status="escalated").count() == 0


def test_ack_cancels_that_persons_pending_attempts_at_once(world):
    warning = _warning(world)
    calls.plan_calls(warning, now=T0)
    calls.tick(now=T0)
    ack = calls.acknowledge(warning, world["村长"], "email", now=at(10))
    assert ack.channel == "email" and ack.level == "red"
    assert calls.acknowledge(warning, world["村长"], "in_app", now=at(20)).pk == ack.pk  # idempotent
    assert Acknowledgement.objects.filter(warning=warning).count() == 1
    assert dict(_rows(warning).values_list("attempt_no", "status")) == {1: "acknowledged", 2: "cancelled"}
    stats = calls.tick(now=at(1000))
    assert stats == {**stats, "sent": 0, "escalated": 0, "next_tier": 0, "supervisions": 0}


def test_silence_escalates_to_the_deputy_then_the_next_tier_then_supervision(world):
    warning = _warning(world)
    calls.plan_calls(warning, now=T0)
    calls.tick(now=T0)
    calls.tick(now=at(120))
    assert calls.tick(now=at(299))["escalated"] == 0  # not yet
    assert calls.tick(now=at(300))["escalated"] == 1
    assert set(_rows(warning, person=world["村长"]).values_list("status", flat=True)) == {"escalated"}
    deputy = _rows(warning, person=world["村副"])
    assert deputy.count() == 2 and deputy.first().escalated_from == world["村长"]
    assert deputy.first().escalate_at == at(600)
    calls.tick(now=at(301))
    assert _rows(warning, person=world["村副"], status="sent").count() == 1
    # the deputy is silent too: the township tier is called
    assert calls.tick(now=at(600))["next_tier"] == 1
    township = _rows(warning, person=world["镇长"]).get()
    assert township.tier == 1 and township.due_at == at(600)
    assert calls.tick(now=at(600))["sent"] == 1
    # the last tier is silent: one supervision item "叫应失败" for the region's government
    assert calls.tick(now=at(900))["supervisions"] == 1
    item = Supervision.objects.get(reason=f"叫应失败 warning:{warning.pk}")
    assert item.owner == world["gov"] and "镇长" in item.description
    assert calls.tick(now=at(2000)) == {**calls.tick(now=at(2000)), "supervisions": 0, "sent": 0}
    assert Supervision.objects.filter(reason__startswith="叫应失败").count() == 1


def test_an_ack_by_the_person_after_the_deputy_was_called_keeps_the_deputy_called(world):
    warning = _warning(world)
    calls.plan_calls(warning, now=T0)
    calls.tick(now=T0)
    calls.tick(now=at(300))
    calls.acknowledge(warning, world["村长"], now=at(310))
    assert _rows(warning, person=world["村副"], status="pending").exists()  # never anyone else's calls


def test_race_ack_after_end_is_refused(world):
    """The end (auto-clear/cancel/expiry) committed first: the acknowledgement is refused, nothing is recorded."""
    warning = _warning(world)
    calls.plan_calls(warning, now=T0)
    EarlyWarning.objects.filter(pk=warning.pk).update(status=WarningStatus.CLEARED)
    assert calls.acknowledge(warning, world["村长"], now=at(5)) is None
    assert not Acknowledgement.objects.exists()
    assert calls.tick(now=at(5))["sent"] == 0  # and no call goes out for an ended warning
    assert _rows(warning, status="cancelled").count() == 1


def test_race_ack_before_end_is_kept_and_the_end_stops_the_rest(world, django_capture_on_commit_callbacks):
    warning = _warning(world, hazard="gale")
    calls.plan_calls(warning, now=T0)
    calls.acknowledge(warning, world["值班甲"], now=at(5))
    with django_capture_on_commit_callbacks(execute=True):
        services.end_warning(user=None, warning=warning, kind="cancelled")
    assert Acknowledgement.objects.filter(person=world["值班甲"]).exists()
    assert not _rows(warning, status="pending").exists()
    assert calls.tick(now=at(10000))["sent"] == 0


@pytest.mark.django_db(transaction=True)
def test_race_ack_and_clear_in_threads_has_one_consistent_outcome(world):
    warning = _warning(world)
    calls.plan_calls(warning, now=T0)
    barrier = threading.Barrier(2)
    results = {}

    def ack():
        barrier.wait()
        results["ack"] = calls.acknowledge(warning.pk, world["村长"], now=at(5))
        connections.close_all()

    def clear():
        barrier.wait()
        EarlyWarning.objects.filter(pk=warning.pk).update(status=WarningStatus.CLEARED)
        calls.stop_calls(warning.pk, "cleared")
        connections.close_all()

    threads = [threading.Thread(target=ack), threading.Thread(target=clear)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not _rows(warning, status="pending").exists()
    assert (results["ack"] is None) == (not Acknowledgement.objects.exists())
    assert calls.tick(now=at(1000))["sent"] == 0


class Counting(channels.Channel):
    name = "in_app"

    def __init__(self):
        self.sent, self.lock = [], threading.Lock()

    def send(self, attempt):
        with self.lock:
            self.sent.append(attempt.pk)
        return channels.Delivery(True, "counted")


@pytest.mark.django_db(transaction=True)
def test_two_workers_ticking_at_once_send_each_attempt_once(world, monkeypatch):
    counter = Counting()
    monkeypatch.setitem(channels.CHANNELS, "in_app", counter)
    for i in range(15):
        Person.objects.create(name=f"值班{i}", organization=world["gov"])
    warning = _warning(world, hazard="gale")
    calls.plan_calls(warning, now=T0)
    due_now = _rows(warning, due_at=T0).count()
    assert due_now == 17
    barrier = threading.Barrier(2)
    errors = []

    def worker(name):
        try:
            barrier.wait()
            for _ in range(3):  # a double tick in each worker, too
                calls.tick(now=T0, worker=name)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(counter.sent) == sorted(set(counter.sent)) and len(counter.sent) == due_now
    assert _rows(warning, due_at=T0, status="sent").count() == due_now
    assert set(_rows(warning, due_at=T0).values_list("claimed_by", flat=True)) <= {"w0", "w1"}


def test_restart_between_claim_and_send_loses_nothing_and_doubles_nothing(world, monkeypatch):
    counter = Counting()
    monkeypatch.setitem(channels.CHANNELS, "in_app", counter)
    warning = _warning(world)
    calls.plan_calls(warning, now=T0)

    def killed(attempt):
        raise KeyboardInterrupt("worker killed after claiming")

    monkeypatch.setattr(channels, "deliver", killed)
    with pytest.raises(KeyboardInterrupt):
        calls.tick(now=T0, worker="dies")
    claimed = _rows(warning, attempt_no=1).get()
    assert claimed.status == "pending" and claimed.claimed_by == "dies"
    monkeypatch.setattr(channels, "deliver", lambda a: channels.CHANNELS[a.channel].send(a))
    # a new worker: a fresh claim is respected (the first worker might still be sending) ...
    assert calls.tick(now=at(60), worker="new")["sent"] == 0
    # ... a claim older than STALE_CLAIM_S is released and the attempt is sent, once
    stats = calls.tick(now=at(calls.STALE_CLAIM_S + 1), worker="new")
    assert stats["reclaimed"] == 1 and stats["sent"] == 2  # the recovered attempt and the retry due at 120 s
    calls.tick(now=at(calls.STALE_CLAIM_S + 2), worker="new")
    claimed.refresh_from_db()
    assert claimed.status == "sent" and claimed.claimed_by == "new"
    assert counter.sent.count(claimed.pk) == 1
    # the escalation state survived the "restart": silence still escalates to the deputy
    assert calls.tick(now=at(300))["escalated"] == 1


@pytest.mark.django_db(databases="__all__")
def test_upgrade_yellow_to_red_replans_and_downgrade_stops(world, django_capture_on_commit_callbacks):
    from citysafe.monitoring.models import Device

    device = Device.objects.create(external_id="CALL-GNSS-1", name="测试位移计", kind="gnss",
                                   region=world["region"], risk_point=world["point"], lon=106.57, lat=29.55)

    def level(value):
        with django_capture_on_commit_callbacks(execute=True):
            outcome = services.set_device_level(device, "landslide", value, at=timezone.now())
            services._calls_after([(outcome.warning.pk, outcome.kind)])  # what _apply registers on commit
        return outcome.warning

    warning = level("yellow")
    assert warning.__class__.objects.get(pk=warning.pk).call_round == 1
    yellow = _rows(warning).get()
    assert (yellow.level, yellow.call_round, yellow.status) == ("yellow", 1, "pending")
    calls.acknowledge(warning, world["村长"])
    level("red")
    warning.refresh_from_db()
    assert warning.call_round == 2
    red = _rows(warning, call_round=2)
    assert set(red.values_list("level", flat=True)) == {"red"} and red.count() == 2  # called again at red
    assert _rows(warning, call_round=1).get().status == "cancelled"  # the ack cancelled it before it was sent
    level("orange")  # downgrade: stop the red calls
    assert not _rows(warning, status="pending").exists()
    assert calls.tick(now=timezone.now() + dt.timedelta(hours=1))["escalated"] == 0


def test_expired_warning_stops_calls(world, django_capture_on_commit_callbacks):
    warning = _warning(world, expires=at(60))
    calls.plan_calls(warning, now=T0)
    calls.tick(now=T0)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.expire_due(now=at(61)) == 1
    assert not _rows(warning, status="pending").exists()
    stats = calls.tick(now=at(1000))
    assert stats["sent"] == 0 and stats["escalated"] == 0 and stats["next_tier"] == 0


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_email_is_delivered_to_a_real_local_smtp_server(world, settings):
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
            self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf8", "replace")))
            return "250 OK"

    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        CallPlan.objects.filter(name="滑坡红").update(tiers=[tier("village", ("email",), retries=0)])
        warning = _warning(world)
        calls.plan_calls(warning, now=T0)
        assert calls.tick(now=T0)["sent"] == 1
    finally:
        controller.stop()
    [(rcpt, content)] = inbox.messages
    assert rcpt == ["v@example.org"] and "Subject:" in content
    attempt = _rows(warning).get()
    assert attempt.status == "sent" and "mailed to v@example.org" in attempt.result


def test_unconfigured_webhook_is_logged_as_skipped(world, settings):
    settings.CITYSAFE_WEBHOOK_URL = ""
    CallPlan.objects.filter(name="滑坡红").update(tiers=[tier("village", ("webhook",), retries=0)])
    warning = _warning(world)
    calls.plan_calls(warning, now=T0)
    assert calls.tick(now=T0)["failed"] == 1
    attempt = _rows(warning).get()
    assert attempt.status == "failed" and "skipped" in attempt.result


def test_webhook_is_signed_with_hmac_sha256(world, settings):
    import hashlib
    import hmac
    import json
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers["X-Citysafe-Signature"], body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            """Keep the test output quiet."""

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    settings.CITYSAFE_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/hook"
    settings.CITYSAFE_WEBHOOK_SECRET = "s3cret"
    CallPlan.objects.filter(name="滑坡红").update(tiers=[tier("village", ("webhook",), retries=0)])
    warning = _warning(world)
    calls.plan_calls(warning, now=T0)
    try:
        assert calls.tick(now=T0)["sent"] == 1
    finally:
        thread.join(5)
        server.server_close()
    [(signature, body)] = received
    assert signature == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert json.loads(body)["warning"] == warning.pk


@pytest.mark.django_db(databases="__all__")
def test_a_warning_raised_by_ingest_is_called_after_commit(world, django_capture_on_commit_callbacks):
    import json

    from citysafe.monitoring.ingest import ingest
    from citysafe.monitoring.models import Device

    services.load_default_rules()
    services.reset_rule_cache()
    gauge = Device.objects.create(external_id="CALL-RG-1", name="测试雨量计", kind="rain_gauge",
                                  region=world["region"], risk_point=world["point"], lon=106.57, lat=29.555)
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=20)
    readings = [{"metric": "precipitation_mm", "time": (start + dt.timedelta(minutes=30 * i)).isoformat(),
                 "value": 10.0} for i in range(1, 6)]
    with django_capture_on_commit_callbacks(execute=True):
        ingest([(f"citysafe/v1/devices/{gauge.external_id}/readings",
                 json.dumps({"readings": readings}).encode())], "mqtt")
    warning = EarlyWarning.objects.get(source_key=f"device:{gauge.pk}", status="active")
    assert warning.level == "orange" and warning.call_round == 1
    # the default orange plan: village tier first, in-app + e-mail + webhook, 10 min deadline, 2 retries
    rows = _rows(warning)
    assert set(rows.values_list("person__name", flat=True)) == {"村长"}
    assert set(rows.values_list("channel", flat=True)) == {"in_app", "email", "webhook"}
    assert rows.count() == 9


def test_cap_imports_enter_the_same_loop(world, django_capture_on_commit_callbacks):
    """A received CAP red warning has no risk point: the default red plan's duty tier is called; Cancel stops it."""
    from citysafe.early_warning import cap, cap_services
    from tests.early_warning.test_cap import OTHER_SENDER, alert_xml, reference_to
    from tests.early_warning.test_cap import T0 as CAP_T0

    first = alert_xml(level="red")
    with django_capture_on_commit_callbacks(execute=True):
        warning = cap_services.import_cap(first).warning
    assert warning.status == "active" and warning.region == world["region"]
    rows = _rows(warning)
    assert set(rows.values_list("person__name", flat=True)) == {"值班甲", "值班乙"}
    assert set(rows.values_list("target", flat=True)) == {"duty"}
    sent = CAP_T0 + dt.timedelta(hours=1)
    cancel = alert_xml(identifier=cap.make_identifier(OTHER_SENDER, sent, 0), sent=sent, msg_type="Cancel",
                       references=[reference_to(first)], level="red")
    with django_capture_on_commit_callbacks(execute=True):
        cap_services.import_cap(cancel)
    assert not _rows(warning, status="pending").exists()
