"""Public tip-off pages, mounted at ``/tipoff/`` without login: the form (whose successful answer is the thank-you
page showing the follow-up code once; it has no URL of its own, so the code is never kept to be shown again) and
the follow-up lookup by code."""

from django.urls import path

from . import views_tipoffs as views

app_name = "tipoff"
urlpatterns = [
    path("", views.tipoff_form, name="tipoff_form"),
    path("status/", views.tipoff_status, name="tipoff_status"),
]
