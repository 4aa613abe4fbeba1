"""Public tip-off pages, mounted at ``/tipoff/`` without login: the form, the thank-you page that shows the
follow-up code once, and the follow-up lookup by code."""

from django.urls import path

from . import views_tipoffs as views

app_name = "tipoff"
urlpatterns = [
    path("", views.tipoff_form, name="tipoff_form"),
    path("thanks/", views.tipoff_thanks, name="tipoff_thanks"),
    path("status/", views.tipoff_status, name="tipoff_status"),
]
