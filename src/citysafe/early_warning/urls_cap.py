"""CAP URLs, included under the ``early_warning`` namespace at ``/early-warning/`` (hence no ``app_name``)."""

from django.urls import path

from . import views_cap
from .feeds import PublicWarningFeed

urlpatterns = [
    path("cap/feed.atom", PublicWarningFeed(), name="cap_feed"),
    path("cap/<int:pk>.xml", views_cap.cap_xml, name="cap_xml"),
    path("cap/import/", views_cap.cap_import, name="cap_import"),
]
