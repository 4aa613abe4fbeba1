"""Dispatch: state machine with timestamps, team status, stock draws that never go negative (also concurrently),
returns, timeline, scoping."""

import threading

import pytest
from django.db import connection

from citysafe.resources import dispatch as svc
from citysafe.resources.errors import PermissionDenied, ResourceError
from citysafe.resources.models import DispatchStatus, Resource, StockItem


@pytest.fixture
def depot(make_resource):
    depot = make_resource("渝中区应急物资库", kind="depot")
    return depot, StockItem.objects.create(depot=depot, item="帐篷", quantity=10, unit="顶", minimum=5)


@pytest.mark.django_db
def test_state_machine_team_and_stock(admin_user, make_resource, make_incident, depot):
    _depot, tents = depot
    team = make_resource("渝中区消防救援队", headcount=30)
    incident = make_incident()
    d = svc.request_dispatch(user=admin_user, incident=incident, team=team, items=[(tents, 4)])
    team.refresh_from_db()
    tents.refresh_from_db()
    assert (d.status, team.status, tents.quantity) == ("requested", "dispatched", 6)
    with pytest.raises(ResourceError):
        svc.advance(d, DispatchStatus.RETURNED, user=admin_user)  # must arrive first
    svc.advance(d, DispatchStatus.DISPATCHED, user=admin_user)
    svc.advance(d, DispatchStatus.ARRIVED, user=admin_user)
    item = d.items.get()
    with pytest.raises(ResourceError):
        svc.advance(d, DispatchStatus.RETURNED, user=admin_user, returned={item.pk: 5})  # more than drawn
    svc.advance(d, DispatchStatus.RETURNED, user=admin_user, returned={item.pk: 3})
    d.refresh_from_db()
    team.refresh_from_db()
    tents.refresh_from_db()
    assert d.dispatched_at <= d.arrived_at <= d.returned_at
    assert (d.status, team.status, tents.quantity) == ("returned", "available", 9)
    assert tents.history.count() == 3  # created, drawn, returned
    with pytest.raises(ResourceError):
        svc.advance(d, DispatchStatus.DISPATCHED, user=admin_user)

    timeline = svc.dispatch_timeline(incident)
    assert [e["kind"] for e in timeline] == ["dispatch_requested", "dispatch_dispatched", "dispatch_arrived",
                                             "dispatch_returned"]
    assert set(timeline[0]) >= {"at", "kind", "label", "detail"}
    assert "帐篷 4顶" in timeline[0]["detail"] and "帐篷 3顶" in timeline[-1]["detail"]


@pytest.mark.django_db
def test_no_oversubscription_and_cancel(admin_user, make_resource, make_incident, depot):
    _depot, tents = depot
    water = StockItem.objects.create(depot=_depot, item="饮用水", quantity=2, unit="箱")
    team = make_resource("队伍")
    incident = make_incident()
    with pytest.raises(ResourceError):
        svc.request_dispatch(user=admin_user, incident=incident, items=[(tents, 3), (water, 5)])
    tents.refresh_from_db()
    assert tents.quantity == 10  # all or nothing
    with pytest.raises(ResourceError):
        svc.request_dispatch(user=admin_user, incident=incident, items=[(tents, 0)])
    with pytest.raises(ResourceError):
        svc.request_dispatch(user=admin_user, incident=incident, team=make_resource("避难场所", kind="shelter"))
    d = svc.request_dispatch(user=admin_user, incident=incident, team=team, items=[(tents, 10)])
    with pytest.raises(ResourceError):
        svc.request_dispatch(user=admin_user, incident=incident, team=team)  # team already dispatched
    svc.advance(d, DispatchStatus.CANCELLED, user=admin_user)
    tents.refresh_from_db()
    team.refresh_from_db()
    assert tents.quantity == 10 and team.status == "available"


@pytest.mark.django_db
def test_scoping(yuzhong, wanzhou, viewer, make_resource, make_incident, depot):
    _depot, tents = depot
    yz_team = make_resource("渝中队")
    wz_team = make_resource("万州队", org="万州区政府", adcode="500101", lon=108.4, lat=30.8)
    yz_incident = make_incident()
    wz_incident = make_incident("万州事件", adcode="500101", lon=108.4, lat=30.8)
    with pytest.raises(PermissionDenied):
        svc.request_dispatch(user=yuzhong, incident=wz_incident, team=yz_team)  # incident not theirs
    with pytest.raises(PermissionDenied):
        svc.request_dispatch(user=yuzhong, incident=yz_incident, team=wz_team)  # team not theirs
    with pytest.raises(PermissionDenied):
        svc.request_dispatch(user=wanzhou, incident=wz_incident, items=[(tents, 1)])  # depot not theirs
    with pytest.raises(PermissionDenied):
        svc.request_dispatch(user=viewer, incident=yz_incident, team=yz_team)
    city_team = make_resource("市级队伍在渝中", org="市应急管理局")  # visible to 渝中 by location, not theirs to send
    with pytest.raises(PermissionDenied):
        svc.request_dispatch(user=yuzhong, incident=yz_incident, team=city_team)
    d = svc.request_dispatch(user=yuzhong, incident=yz_incident, team=yz_team)
    with pytest.raises(PermissionDenied):
        svc.advance(d, DispatchStatus.DISPATCHED, user=wanzhou)
    from citysafe.resources.selectors import dispatches_for

    assert list(dispatches_for(yuzhong)) == [d]
    assert list(dispatches_for(wanzhou)) == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_draws_never_negative(admin_user, make_resource, make_incident):
    """8 threads each ask for 3 of 10 tents at once: exactly 3 succeed, 1 tent remains, never below zero."""
    depot = make_resource("并发库", kind="depot")
    tents = StockItem.objects.create(depot=depot, item="帐篷", quantity=10, unit="顶")
    incident = make_incident()
    barrier = threading.Barrier(8)
    outcomes = []

    def worker():
        try:
            barrier.wait()
            svc.request_dispatch(user=admin_user, incident=incident, items=[(tents, 3)])
            outcomes.append("ok")
        except ResourceError:
            outcomes.append("short")
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tents.refresh_from_db()
    assert outcomes.count("ok") == 3 and outcomes.count("short") == 5
    assert tents.quantity == 1
    assert incident.dispatches.count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_team_dispatch_once(admin_user, make_resource, make_incident):
    team = make_resource("唯一队伍")
    incident = make_incident()
    barrier = threading.Barrier(4)
    outcomes = []

    def worker():
        try:
            barrier.wait()
            svc.request_dispatch(user=admin_user, incident=incident, team=Resource.objects.get(pk=team.pk))
            outcomes.append("ok")
        except ResourceError:
            outcomes.append("busy")
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["busy", "busy", "busy", "ok"]
