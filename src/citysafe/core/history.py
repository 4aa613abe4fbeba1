"""The audit trail of any business object, read from django-simple-history, for the history page."""

from dataclasses import dataclass

from django.apps import apps
from django.http import Http404

# Models whose history page is offered, with the selector that scopes the object to the user.
HISTORY_MODELS: dict[str, str] = {}


def register(label: str, scoped_queryset: str) -> None:
    """Offer the history of ``label`` ("app.Model"); ``scoped_queryset`` is "module:function(user)"."""
    HISTORY_MODELS[label.lower()] = scoped_queryset


@dataclass
class Change:
    when: object
    who: str
    action: str
    fields: list[tuple[str, object, object]]
    reason: str


def _resolve(path: str):
    module, func = path.split(":")
    from importlib import import_module

    return getattr(import_module(module), func)


def _labelled(field, old, new):
    """(verbose name, old, new) with choice values shown by their labels."""
    choices = dict(field.flatchoices) if field.choices else {}
    return field.verbose_name, choices.get(old, old), choices.get(new, new)


def object_history(user, label: str, pk: int):
    """(object, [Change…] newest first) for an object the user may see; Http404 otherwise."""
    path = HISTORY_MODELS.get(label.lower())
    if path is None:
        raise Http404("no history for this kind of object")
    model = apps.get_model(label)
    obj = _resolve(path)(user).filter(pk=pk).first()
    if obj is None or not isinstance(obj, model):
        raise Http404("not found")
    records = list(obj.history.all().select_related("history_user"))
    changes = []
    for record in records:
        fields = []
        if record.prev_record is not None:
            delta = record.diff_against(record.prev_record)
            fields = [_labelled(model._meta.get_field(c.field), c.old, c.new) for c in delta.changes]
        changes.append(Change(when=record.history_date, who=str(record.history_user or "system"),
                              action=record.get_history_type_display(), fields=fields,
                              reason=record.history_change_reason or ""))
    return obj, changes
