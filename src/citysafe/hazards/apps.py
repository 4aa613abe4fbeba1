from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HazardsConfig(AppConfig):
    name = "citysafe.hazards"
    label = "hazards"
    verbose_name = _("隐患排查治理")

    def ready(self):
        from citysafe.core.history import register
        from citysafe.core.services import register_reference_loader

        from .reference import load_industries

        register_reference_loader("industries", load_industries)
        register_reference_loader("determination_packs", _load_packs)

        register("hazards.Hazard", "citysafe.hazards.selectors:hazards_for")
        register("hazards.RiskPoint", "citysafe.hazards.selectors:risk_points_for")
        register("hazards.TipOff", "citysafe.hazards.selectors:tip_offs_for")


def _load_packs():
    from .packs import load_packs

    return len(load_packs())
