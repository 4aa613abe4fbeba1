"""Template filters that mask personal data: {{ person.phone|mask_phone }}."""

from django import template

from citysafe.core import privacy

register = template.Library()
register.filter("mask_phone", privacy.mask_phone)
register.filter("mask_id_number", privacy.mask_id_number)
register.filter("mask_name", privacy.mask_name)
