"""WSGI entry point (gunicorn ``citysafe.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citysafe.settings")
application = get_wsgi_application()
