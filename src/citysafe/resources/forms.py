from django import forms
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from .models import MAX_COUNT, MAX_STOCK, MAX_TEXT, Resource, ResourceStatus, StockItem

# "已调派" is set and cleared only by dispatch (``dispatch.py``), never by hand.
MANUAL_STATUS_CHOICES = [(s.value, s.label) for s in (ResourceStatus.AVAILABLE, ResourceStatus.UNAVAILABLE)]


class ResourceForm(forms.ModelForm):
    status = forms.ChoiceField(label=_("状态"), choices=MANUAL_STATUS_CHOICES, initial=ResourceStatus.AVAILABLE)

    class Meta:
        model = Resource
        fields = ["kind", "name", "code", "lon", "lat", "address", "status", "specialty", "headcount", "equipment",
                  "quantity", "capacity", "occupancy", "contact_name", "contact_phone", "notes"]
        widgets = {"equipment": forms.Textarea(attrs={"rows": 2}), "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # WGS84 range as field errors (the model's check constraint would otherwise be an untranslated form error).
        for name, limit in (("lon", 180), ("lat", 90)):
            self.fields[name].min_value, self.fields[name].max_value = -limit, limit
            self.fields[name].validators += [MinValueValidator(-limit), MaxValueValidator(limit)]
        # The same limits as the API and the import (models.MAX_*).
        for name in ("headcount", "quantity", "capacity", "occupancy"):
            self.fields[name].max_value = MAX_COUNT
            self.fields[name].validators.append(MaxValueValidator(MAX_COUNT))
            self.fields[name].widget.attrs["max"] = MAX_COUNT
        for name in ("equipment", "notes"):
            self.fields[name].max_length = MAX_TEXT
            self.fields[name].validators.append(MaxLengthValidator(MAX_TEXT))
            self.fields[name].widget.attrs["maxlength"] = MAX_TEXT


class StockForm(forms.Form):
    item = forms.CharField(label=_("物资名称"), max_length=StockItem._meta.get_field("item").max_length)
    quantity = forms.IntegerField(label=_("数量"), min_value=0, max_value=MAX_STOCK)
    unit = forms.CharField(label=_("单位"), max_length=StockItem._meta.get_field("unit").max_length, required=False)
    expires_on = forms.DateField(label=_("有效期至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    minimum = forms.IntegerField(label=_("最低储备量"), min_value=0, max_value=MAX_STOCK, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件(.xlsx)"))
