"""The command map ("一张图"): one page over the apps' scoped GeoJSON endpoints, and its side panel (refreshed)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from citysafe.core.roles import DISTRICT_OPERATOR, can_write, is_municipal, user_roles
from citysafe.incidents.selectors import incidents_for
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
            "layers_failed": _("部分图层加载失败"),
            # nearest panel for a district user: teams of other districts are outside the API's scope
            "none_district": _("本辖区暂无可用队伍，请向市应急局申请跨区支援"),
            # legend
            "legend_severe": _("特别重大/重大"), "legend_other": _("较大/一般/未定级"),
            "legend_levels": _("红/橙/黄/蓝"), "legend_unavailable": _("已调派/不可用"),
            "legend_major": _("重大隐患"), "legend_general": _("一般隐患"), "no_warnings": _("当前无生效预警"),
            # resource popups
            "headcount": _("人数："), "capacity": _("容量："), "occupancy": _("已安置："), "status": _("状态："),
            "status_available": _("可用"), "status_dispatched": _("已调派"), "status_unavailable": _("不可用"),
            # one glyph per resource kind (on the marker and in the legend)
            "glyph_team": _("队"), "glyph_depot": _("库"), "glyph_equipment": _("装"), "glyph_shelter": _("避"),
            "glyph_helipad": _("机"), "glyph_medical": _("医")}


def _district_scoped(user) -> bool:
    """A district operator: the nearest API only returns their own district's teams (mutual aid is requested)."""
    return DISTRICT_OPERATOR in user_roles(user) and not is_municipal(user)


@login_required
def command_map(request):
    return render(request, "command/command_map.html", {
        **_panel_context(request.user), "layer_labels": layer_labels(), "messages_js": _messages(),
        "can_dispatch": can_write(request.user), "district_scoped": _district_scoped(request.user)})


@login_required
def panel(request):
    """The side panel alone (re-fetched with the map layers every 30 s)."""
    return render(request, "command/_panel.html", _panel_context(request.user))


@login_required
def incident_popup(request, pk):
    """An incident marker's popup: grade, time, casualties and links (details, 预案与处置卡, 就近资源); scoped (404)."""
    incident = get_object_or_404(incidents_for(request.user), pk=pk)
    return render(request, "command/_incident_popup.html", {"i": incident})
