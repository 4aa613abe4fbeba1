"""Shared fixtures: reference data, the seed plan and one user per role.

Database: SQLite by default, PostgreSQL when ``DATABASE_URL`` is set (CI runs both).  When DATABASE_URL points at a
server that cannot be reached, the database tests skip with the reason, except under ``CI=true`` where they fail.
"""

import os

import pytest


def pytest_configure(config):
    if os.environ.get("DATABASE_URL") and not os.environ.get("CI"):
        import psycopg

        try:
            psycopg.connect(os.environ["DATABASE_URL"], connect_timeout=3).close()
        except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
            config.issue_config_time_warning(pytest.PytestWarning(f"PostgreSQL unreachable: {exc}"), stacklevel=2)
            config._citysafe_no_db = str(exc)


def pytest_collection_modifyitems(config, items):
    reason = getattr(config, "_citysafe_no_db", None)
    if reason:
        skip = pytest.mark.skip(reason=f"DATABASE_URL set but PostgreSQL unreachable ({reason}); CI=true makes this fail")
        for item in items:
            if "django_db" in item.keywords or "db" in getattr(item, "fixturenames", ()):
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _media_in_tmp(request, tmp_path):
    """Uploaded files of a test go to its own temporary directory."""
    from django.conf import settings

    if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
        yield  # pure tests run without Django (e.g. -p no:django)
        return
    old = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    settings.MEDIA_ROOT = old


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (a request in English must not leak into the next test)."""
    from django.conf import settings

    if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
        yield
        return
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the reference data once; each test then runs in a transaction that is rolled back."""
    from citysafe.core.services import setup_reference_data

    with django_db_blocker.unblock():
        setup_reference_data()


@pytest.fixture
def reference(db):
    """Roles, regions and organisations (reloaded when a transactional test has flushed them)."""
    from citysafe.core.models import Region
    from citysafe.core.services import setup_reference_data

    if not Region.objects.exists():
        setup_reference_data()


@pytest.fixture
def seed_bytes():
    from citysafe.demo import seed_bytes

    return seed_bytes()


@pytest.fixture
def plan(reference, seed_bytes):
    from citysafe.workplans.services import import_plan

    return import_plan(seed_bytes, "seed.txt").plan


def make_user(username, role, org_name=None, adcode=None):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from citysafe.core.models import Organization, Region, UserProfile

    user = get_user_model().objects.create_user(username=username, password="pw-" + username)
    user.groups.add(Group.objects.get(name=role))
    org = Organization.objects.get(name=org_name) if org_name else None
    region = Region.objects.filter(adcode=adcode).first() if adcode else None
    UserProfile.objects.create(user=user, organization=org, region=region)
    return user


@pytest.fixture
def admin_user(reference):
    user = make_user("cityadmin", "municipal_admin", "市应急管理局")
    return user


@pytest.fixture
def yuzhong(reference):
    """District operator of 渝中区 (500103)."""
    return make_user("yuzhong", "district_operator", "渝中区政府", "500103")


@pytest.fixture
def wanzhou(reference):
    """District operator of 万州区 (500101)."""
    return make_user("wanzhou", "district_operator", "万州区政府", "500101")


@pytest.fixture
def fire_dept(reference):
    """Department operator of 市消防救援局 (leads domain 3, 消防领域)."""
    return make_user("fire", "department_operator", "市消防救援局")


@pytest.fixture
def enterprise(reference):
    """A machinery enterprise located in 渝中区."""
    from citysafe.core.models import Organization, Region

    return Organization.objects.create(name="重庆测试机械有限公司", kind="enterprise",
                                       region=Region.objects.get(adcode="500103"))


@pytest.fixture
def enterprise_user(enterprise):
    """The enterprise's own safety manager (scope: the enterprise only)."""
    return make_user("qiye", "enterprise_operator", enterprise.name)


@pytest.fixture
def viewer(reference):
    return make_user("viewer", "viewer", None, "500000")


@pytest.fixture
def token_for():
    from citysafe.core.models import ApiToken

    def issue(user):
        return ApiToken.objects.issue(user, "test")[1]

    return issue


@pytest.fixture
def api_client(client):
    """Django test client with a helper for bearer-token JSON calls."""

    class Api:
        def __init__(self, token=None):
            self.token = token

        def _headers(self):
            return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

        def get(self, path, **params):
            return client.get("/api/v1" + path, params, **self._headers())

        def post(self, path, payload=None, **extra):
            import json

            return client.post("/api/v1" + path, json.dumps(payload or {}), content_type="application/json",
                               **self._headers(), **extra)

    return Api
