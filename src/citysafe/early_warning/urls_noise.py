"""Noise-control URLs, included under the ``early_warning`` namespace at ``/early-warning/`` (hence no ``app_name``)."""

from django.urls import path

from . import views_noise

urlpatterns = [
    path("silences/", views_noise.silence_list, name="silence_list"),
    path("silences/new/", views_noise.silence_create, name="silence_create"),
    path("silences/<int:pk>/end/", views_noise.silence_end, name="silence_end"),
    path("subscriptions/", views_noise.subscription_list, name="subscription_list"),
    path("subscriptions/new/", views_noise.subscription_create, name="subscription_create"),
    path("subscriptions/<int:pk>/delete/", views_noise.subscription_delete, name="subscription_delete"),
    path("<int:pk>/noise/", views_noise.noise_panel, name="noise_panel"),
]
