"""List filters of the target page (django-filter)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from citysafe.core.forms import bootstrap
from citysafe.core.models import Organization

from .models import TargetStatus, TaskKind


class TargetFilter(django_filters.FilterSet):
    unit = django_filters.ModelChoiceFilter(label=_("责任单位"), field_name="task__responsible_units__organization",
                                            queryset=Organization.objects.order_by("kind", "name"))
    role = django_filters.ChoiceFilter(label=_("角色"), field_name="task__responsible_units__role",
                                       choices=[("lead", _("牵头")), ("support", _("配合"))])
    kind = django_filters.ChoiceFilter(label=_("类别"), field_name="task__kind", choices=TaskKind.choices)
    domain = django_filters.CharFilter(label=_("领域/任务"), field_name="task__title", lookup_expr="icontains")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=TargetStatus.choices)
    deadline_before = django_filters.DateFilter(label=_("时限不晚于"), field_name="deadline", lookup_expr="lte",
                                                widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    deadline_after = django_filters.DateFilter(label=_("时限不早于"), field_name="deadline", lookup_expr="gte",
                                               widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    q = django_filters.CharFilter(label=_("关键词"), method="search")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self.form, small=True)

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(metric__icontains=value) | Q(text__icontains=value) | Q(scope__icontains=value))
