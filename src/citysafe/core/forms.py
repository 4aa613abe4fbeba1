"""Form helpers shared by every app."""

from django import forms


def bootstrap(form, small: bool = False) -> None:
    """Give every widget of ``form`` its Bootstrap 5 class (select, check box or text control)."""
    suffix = " form-select-sm" if small else ""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, (forms.Select, forms.RadioSelect)):
            css = "form-select" + suffix
        else:
            css = "form-control" + (" form-control-sm" if small else "")
        widget.attrs.setdefault("class", css)
