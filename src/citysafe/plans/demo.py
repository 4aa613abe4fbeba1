"""Demo plans (marked ``is_demo`` and "(演示)" in their names), created through the real services: two city plans
(geological disasters, hazardous chemicals), the 渝中 flood plan, the demo enterprise's plan, each with response
levels and four role cards; one held drill with findings (a hazard and a plan change) and one planned drill.
Phone numbers are fictitious."""

import datetime as dt

from django.utils import timezone

from citysafe.core.models import Organization, Region

from . import services
from .models import EmergencyPlan

DEMO_ENTERPRISE = "渝中区演示机械制造有限公司"
DISASTER_GRADES = {1: ["level_1"], 2: ["level_2"], 3: ["level_3"], 4: ["level_4"]}
# A grade activates one level only; Ⅳ has no grade of its own: it is taken for an incident below every grade.
ACCIDENT_GRADES = {1: ["especially_major", "major"], 2: ["large"], 3: ["ordinary"], 4: []}


def _step(icon, title, detail, minutes=None):
    return {"icon": icon, "title": title, "detail": detail, "time_limit_min": minutes}


DUTY = ("值班员", None, [
    _step("📞", "接报记录", "记录时间、地点、事件类型、伤亡和现场联系人, 核实信息来源", 5),
    _step("📢", "报告领导", "立即报告值班领导和指挥长, 按规定时限向上级报告", 15),
    _step("📋", "通知成员单位", "按响应级别通知成员单位和救援队伍, 逐一确认收到", 30),
    _step("🔄", "续报跟踪", "每 30 分钟续报一次事态进展, 直至响应结束", None),
], "禁止迟报、漏报、谎报、瞒报\n禁止未经核实对外发布信息", "保持值班电话畅通\n所有通话和指令留痕")

PLANS = [
    {"name": "重庆市地质灾害应急预案(演示)", "code": "DEMO-CQ-DZZH", "level": "city", "owner": "市规划自然资源局",
     "adcode": "500000", "incident_kind": "natural_disaster",
     "hazard_codes": ["landslide", "collapse", "debris_flow", "geological_hazards"], "grades": DISASTER_GRADES,
     "cards": [DUTY, ("现场指挥长", 1, [
         _step("🚩", "成立现场指挥部", "在安全区域设立指挥部, 明确抢险、转移、医疗、保障各组负责人", 30),
         _step("🧭", "划定危险区", "会同专家划定危险区和警戒线, 设置警示标志", 60),
         _step("🏃", "组织转移", "组织受威胁群众按预定路线转移到安置点, 逐户清点", 120),
         _step("🛰", "监测预警", "安排专人监测裂缝、位移和降雨, 发现异常立即撤离", None)],
         "禁止救援人员在未排险的滑坡体上作业\n禁止群众擅自返回危险区", "夜间和降雨期间加密巡查"),
         ("救援队长", 2, [
         _step("🧰", "集结出发", "接令后集结人员和装备, 报告出发时间和人数", 30),
         _step("🔍", "搜救被困人员", "先生命探测后破拆, 由外向内分区搜索", None),
         _step("🚑", "伤员转运", "伤员交医疗组, 记录转运去向", None)],
         "禁止在次生滑坡预警未解除时进入", "每小时清点队员"),
         ("乡镇(街道)负责人", 4, [
         _step("👀", "核查险情", "到场核查变形迹象, 拍照报区县", 60),
         _step("📣", "预警通知", "通知受威胁户, 发放明白卡", 60),
         _step("🏠", "转移安置", "按预案转移并落实安置", 180)],
         "禁止瞒报险情", "落实群测群防员 24 小时值守")]},
    {"name": "重庆市危险化学品事故应急预案(演示)", "code": "DEMO-CQ-WHP", "level": "city", "owner": "市应急管理局",
     "adcode": "500000", "incident_kind": "accident", "hazard_codes": ["hazardous_chemicals"], "grades": ACCIDENT_GRADES,
     "cards": [DUTY, ("现场指挥长", 1, [
         _step("🚩", "建立指挥部", "在上风向安全距离外建立现场指挥部", 30),
         _step("☣", "侦检定性", "确定泄漏物质、浓度和扩散范围", 60),
         _step("🚧", "警戒疏散", "按侦检结果划定警戒区, 组织下风向群众疏散", 60),
         _step("🧯", "处置泄漏", "堵漏、稀释、收集, 防止进入水体", None)],
         "禁止无防护人员进入警戒区\n禁止在泄漏区使用非防爆设备", "注意风向变化, 及时调整警戒区"),
         ("企业主要负责人", 3, [
         _step("⛔", "停车停产", "立即组织紧急停车, 切断物料", 10),
         _step("📞", "报告", "1 小时内报告属地应急管理部门", 60),
         _step("👥", "清点人员", "组织撤离并清点人数, 报告失联人员", 30)],
         "禁止破坏事故现场\n禁止组织无防护人员抢险", "提供危险化学品安全技术说明书(MSDS)"),
         ("环境监测组长", 2, [
         _step("🧪", "布设监测点", "在下风向和周边水体布设监测点", 60),
         _step("📈", "定时报告", "每小时报告监测数据", None)], "", "监测人员佩戴防护装备")]},
    {"name": "渝中区防汛应急预案(演示)", "code": "DEMO-YZ-FX", "level": "district", "owner": "渝中区政府",
     "adcode": "500103", "incident_kind": "natural_disaster",
     "hazard_codes": ["flood", "rainstorm", "flash_flood", "waterlogging"], "grades": DISASTER_GRADES,
     "cards": [DUTY, ("区防汛现场指挥长", 1, [
         _step("🚩", "启动响应", "宣布启动响应, 指挥部进驻现场", 30),
         _step("🌊", "沿江巡查", "组织长江、嘉陵江沿线低洼地带巡查", 60),
         _step("🏃", "转移群众", "转移沿江低洼区域群众到安置点", 120)],
         "禁止人员在警戒水位以下滨江路段停留", "关注水文站每小时水位"),
         ("街道防汛责任人", 3, [
         _step("🚧", "封闭下穿道", "积水超过 30 厘米立即封闭下穿道路", 30),
         _step("🔌", "排涝", "启动排水泵站, 报告运行情况", 60),
         _step("📣", "通知商户", "通知临街低洼商户转移物资", 60)],
         "禁止车辆涉水通行", "夜间安排专人值守"),
         ("抢险队长", 2, [
         _step("🧰", "集结", "携带抽水泵、沙袋集结", 30),
         _step("🛟", "救援", "救援被困人员, 穿救生衣", None)], "禁止单人涉水", "")]},
    {"name": "渝中区演示机械制造有限公司生产安全事故应急预案(演示)", "code": "DEMO-QY-JX", "level": "enterprise",
     "owner": DEMO_ENTERPRISE, "adcode": "500103", "incident_kind": "accident", "hazard_codes": [],
     "grades": {1: ["especially_major", "major", "large"], 2: ["ordinary"], 3: []},
     "cards": [("企业主要负责人", None, [
         _step("📢", "启动预案", "宣布启动企业预案, 通知应急救援小组", 10),
         _step("📞", "报告", "1 小时内报告渝中区应急管理局", 60),
         _step("👥", "清点人员", "在集合点清点人员", 30)], "禁止隐瞒事故", "保护事故现场"),
         ("车间主任", None, [
         _step("⛔", "停机断电", "停止设备运行, 切断电源", 5),
         _step("🩹", "现场急救", "组织急救并拨打 120", 10),
         _step("🚪", "疏散", "按疏散路线撤离到集合点", 10)], "禁止在未断电时施救触电人员", ""),
         ("安全员", 2, [
         _step("📝", "记录", "记录事故经过、伤亡和设备状态", 30),
         _step("📷", "取证", "拍照保存现场", 30)], "", "配合调查")]},
]

CONTACTS = [{"name": "应急值班室(演示)", "title": "24小时值班", "phone": "02300000000", "public": True},
            {"name": "张指挥(演示)", "title": "指挥长", "phone": "13800000001"}]


def _enterprise() -> Organization:
    org = Organization.objects.filter(name=DEMO_ENTERPRISE).first()
    return org or Organization.objects.create(name=DEMO_ENTERPRISE, kind="enterprise",
                                              region=Region.objects.get(adcode="500103"))


def prepare(admin) -> dict:
    """Create the demo plans, cards and drills once (idempotent: nothing when demo plans exist)."""
    if EmergencyPlan.objects.filter(is_demo=True).exists():
        return {"plans": 0, "cards": 0, "drills": 0}
    _enterprise()
    today = timezone.localdate()
    plans, cards = {}, 0
    for spec in PLANS:
        owner = Organization.objects.get(name=spec["owner"])
        region = services.region_by_adcode(spec["adcode"])
        plan = services.create_plan(user=admin, name=spec["name"], code=spec["code"], level=spec["level"],
                                    owner=owner, region=region, incident_kind=spec["incident_kind"],
                                    hazard_codes=spec["hazard_codes"], status="active", version="2026版(演示)",
                                    effective_date=today - dt.timedelta(days=90), is_demo=True,
                                    summary="演示数据: 结构和内容仅供演示, 不是正式预案。")
        for level, grades in spec["grades"].items():
            services.set_response_level(user=admin, plan=plan, level=level, grades=grades,
                                        activation_criteria=f"演示: 事件等级达到 {', '.join(grades) or '—'} 时启动")
        for order, (role, level, steps, prohibitions, reminders) in enumerate(spec["cards"]):
            services.save_card(user=admin, plan=plan, role=role, level=level, steps=steps, contacts=CONTACTS,
                               prohibitions=prohibitions, reminders=reminders, order=order)
            cards += 1
        plans[spec["code"]] = plan
    flood = plans["DEMO-YZ-FX"]
    drill = services.create_drill(user=admin, plan=flood, title="渝中区2026年防汛综合演练(演示)", kind="full_scale",
                                  planned_date=today - dt.timedelta(days=10), is_demo=True,
                                  scenario="长江水位超警戒 2 米, 朝天门、储奇门沿江低洼区域需转移群众 800 人",
                                  participant_units="渝中区应急管理局、区水利局、解放碑街道、朝天门街道、区消防救援支队")
    services.hold_drill(user=admin, drill=drill, participants_count=260,
                        held_at=timezone.now() - dt.timedelta(days=10),
                        summary="演示: 转移用时 95 分钟, 超出预案要求 30 分钟。",
                        findings=[{"description": "储奇门排水泵站备用电源未接入(演练发现, 演示)", "kind": "hazard"},
                                  {"description": "安置点联系人已调整, 处置卡联系人需更新(演示)", "kind": "plan_change"}])
    services.create_drill(user=admin, plan=plans["DEMO-CQ-DZZH"], title="万州区滑坡避险转移桌面推演(演示)",
                          kind="tabletop", organiser=Organization.objects.get(name="万州区政府"), planned_date=today + dt.timedelta(days=20), is_demo=True,
                          scenario="强降雨诱发滑坡, 威胁 3 户 12 人")
    return {"plans": len(plans), "cards": cards, "drills": 2}
