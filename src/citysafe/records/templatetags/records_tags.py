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
