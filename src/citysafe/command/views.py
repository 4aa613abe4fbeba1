"""The command map ("一张图"): one page over the apps' scoped GeoJSON endpoints, and its side panel (refreshed)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from citysafe.core.roles import can_write
from citysafe.resources.models import ResourceKind

from . import selectors


def _panel_context(user) -> dict:
    return {"incidents": selectors.latest_incidents(user), "warnings": selectors.active_warnings(user)}


def layer_labels() -> dict:
    """Layer key -> label, in the layer control's order (resources: one layer per kind, ``resource_<kind>``)."""
    labels = {"regions": _("区县边界"), "incidents": _("事故事件"), "warnings": _("生效预警")}
    labels.update({f"resource_{kind}": str(label) for kind, label in ResourceKind.choices})
    labels.update({"hazards": _("隐患(未销号)"), "risk_points": _("风险点")})
    return labels


def _messages() -> dict:
    return {"nearest": _("就近资源"), "dispatch": _("调派"), "dispatched": _("已调派"), "loading": _("加载中…"),
            "none": _("范围内暂无可用队伍"), "no_coords": _("该事件没有经纬度"), "failed": _("操作失败"),
            "open": _("查看详情"), "km": _("公里"), "min": _("分钟"), "all_resources": _("全部资源与调派记录"),
            "layers_failed": _("部分图层加载失败")}


@login_required
def command_map(request):
    return render(request, "command/command_map.html", {
        **_panel_context(request.user), "layer_labels": layer_labels(), "messages_js": _messages(),
        "can_dispatch": can_write(request.user)})


@login_required
def panel(request):
    """The side panel alone (re-fetched with the map layers every 30 s)."""
    return render(request, "command/_panel.html", _panel_context(request.user))
