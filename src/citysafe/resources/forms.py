from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Resource


class ResourceForm(forms.ModelForm):
    class Meta:
        model = Resource
        fields = ["kind", "name", "code", "lon", "lat", "address", "status", "specialty", "headcount", "equipment",
                  "quantity", "capacity", "occupancy", "contact_name", "contact_phone", "notes"]
        widgets = {"equipment": forms.Textarea(attrs={"rows": 2}), "notes": forms.Textarea(attrs={"rows": 2})}


class StockForm(forms.Form):
    item = forms.CharField(label=_("物资名称"), max_length=100)
    quantity = forms.IntegerField(label=_("数量"), min_value=0)
    unit = forms.CharField(label=_("单位"), max_length=20, required=False)
    expires_on = forms.DateField(label=_("有效期至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    minimum = forms.IntegerField(label=_("最低储备量"), min_value=0, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件(.xlsx)"))
