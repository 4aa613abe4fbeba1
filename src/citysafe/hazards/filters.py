"""List filters of hazards and risk points (django-filter)."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citysafe.core.forms import bootstrap
from citysafe.core.models import Region

from .models import OPEN_STATUSES, Hazard, HazardGrade, HazardSource, HazardStatus, Industry, RiskPoint, RiskPointKind


class _Bootstrap:
    def _style(self):
        bootstrap(self.form, small=True)


class HazardFilter(_Bootstrap, django_filters.FilterSet):
    region = django_filters.ModelChoiceFilter(label=_("区县"), queryset=Region.objects.filter(
        level__in=["district", "zone"]))
    industry = django_filters.ModelChoiceFilter(label=_("行业领域"), queryset=Industry.objects.all())
    grade = django_filters.ChoiceFilter(label=_("等级"), choices=HazardGrade.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=HazardStatus.choices)
    source = django_filters.ChoiceFilter(label=_("来源"), choices=HazardSource.choices)
    overdue = django_filters.BooleanFilter(label=_("逾期"), method="filter_overdue",
                                           widget=forms.Select(choices=[("", "---"), ("true", _("是")),
                                                                        ("false", _("否"))]))
    q = django_filters.CharFilter(label=_("关键词"), method="search")

    class Meta:
        model = Hazard
        fields = ["region", "industry", "grade", "status", "source"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def filter_overdue(self, queryset, name, value):
        overdue = {"status__in": OPEN_STATUSES, "deadline__lt": timezone.localdate()}
        return queryset.filter(**overdue) if value else queryset.exclude(**overdue)

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(title__icontains=value) | Q(code__icontains=value) | Q(address__icontains=value))


class RiskPointFilter(_Bootstrap, django_filters.FilterSet):
    region = django_filters.ModelChoiceFilter(label=_("区县"), queryset=Region.objects.filter(
        level__in=["district", "zone"]))
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=RiskPointKind.choices)
    q = django_filters.CharFilter(label=_("关键词"), method="search")

    class Meta:
        model = RiskPoint
        fields = ["region", "kind"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))
