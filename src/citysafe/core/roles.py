"""Roles as Django groups.  A role says *what* a user may do; ``UserProfile`` says *where* (see ``scoping``)."""

from django.utils.translation import gettext_lazy as _

MUNICIPAL_ADMIN = "municipal_admin"
DEPARTMENT_OPERATOR = "department_operator"
DISTRICT_OPERATOR = "district_operator"
VIEWER = "viewer"
ENTERPRISE_OPERATOR = "enterprise_operator"

ROLE_LABELS = {
    MUNICIPAL_ADMIN: _("市级管理员"),
    DEPARTMENT_OPERATOR: _("部门操作员"),
    DISTRICT_OPERATOR: _("区县操作员"),
    VIEWER: _("只读用户"),
    ENTERPRISE_OPERATOR: _("企业安全管理员"),
}
WRITER_ROLES = {MUNICIPAL_ADMIN, DEPARTMENT_OPERATOR, DISTRICT_OPERATOR, ENTERPRISE_OPERATOR}


def is_enterprise(user) -> bool:
    """An enterprise's own safety manager: acts for the enterprise, never as its supervisor."""
    return bool(user.is_authenticated and ENTERPRISE_OPERATOR in user_roles(user) and not is_municipal(user))


def ensure_role_groups() -> None:
    """Create the role groups if missing (idempotent; run by migrations and ``citysafe setup``)."""
    from django.contrib.auth.models import Group

    for name in ROLE_LABELS:
        Group.objects.get_or_create(name=name)


def user_roles(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_citysafe_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._citysafe_roles = cached
    return cached


def is_municipal(user) -> bool:
    """Municipal administrators (and superusers) see and manage the whole city."""
    return bool(user.is_authenticated and (user.is_superuser or MUNICIPAL_ADMIN in user_roles(user)))


def can_write(user) -> bool:
    """Viewers read; every other role may write within its scope."""
    return bool(user.is_authenticated and (user.is_superuser or user_roles(user) & WRITER_ROLES))
