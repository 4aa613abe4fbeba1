"""Template helpers of the records pages."""

from django import template

register = template.Library()


@register.filter
def attr(obj, name):
    """``obj.<name>`` or ``obj[name]`` (indicator columns are chosen by name)."""
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


@register.filter
def label(model_obj, name):
    """The verbose name of field ``name`` of ``model_obj``'s model."""
    return model_obj._meta.get_field(name).verbose_name


@register.filter
def grade_label(grade):
    """The Chinese name of an accident grade (``incidents.grading.GRADE_LABELS``), "—" when blank."""
    from citysafe.records.services import grade_label as label_of

    return label_of(grade or "") or "—"


@register.filter
def metric_label(metric):
    """The Chinese name of a cross-check metric (the verbose name of its field)."""
    from citysafe.records.crosscheck import metric_label as label_of

    return label_of(metric or "")


@register.filter
def source_kind_label(kind):
    from citysafe.records.crosscheck import source_kind_label as label_of

    return label_of(kind or "")
