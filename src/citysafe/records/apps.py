from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "citysafe.records"
    label = "records"
    verbose_name = _("事故灾害统计")
