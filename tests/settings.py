"""Settings for the test suite: the real settings, with background tasks run inline and files in a temp dir."""

import tempfile
from pathlib import Path

from citysafe.settings import *  # noqa: F403
from citysafe.settings import HUEY

HUEY = {**HUEY, "immediate": True}
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="citysafe-test-media-"))
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins; tests only

# SQLite test databases as files (not shared-cache memory) so concurrent tests see the same locking as production:
# WAL, busy timeout and IMMEDIATE transactions instead of shared-cache "table is locked" errors.
_TEST_DB_DIR = Path(tempfile.mkdtemp(prefix="citysafe-test-db-"))
for _alias, _config in DATABASES.items():  # noqa: F405
    if _config["ENGINE"].endswith("sqlite3"):
        _config["TEST"] = {"NAME": str(_TEST_DB_DIR / f"test_{_alias}.sqlite3")}
