"""Settings for the test suite: the real settings, with background tasks run inline and files in a temp dir."""

import tempfile
from pathlib import Path

from citysafe.settings import *  # noqa: F403
from citysafe.settings import HUEY

HUEY = {**HUEY, "immediate": True}
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="citysafe-test-media-"))
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins; tests only
