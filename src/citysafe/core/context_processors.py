"""Template context shared by every page: navigation and the user's role labels."""

from django.conf import settings

from citysafe import __version__

from .roles import ROLE_LABELS, is_municipal, user_roles


def site(request):
    user = request.user
    return {
        "citysafe_roles": [ROLE_LABELS[r] for r in sorted(user_roles(user)) if r in ROLE_LABELS],
        "citysafe_is_municipal": is_municipal(user),
        "citysafe_tile_url": settings.CITYSAFE_MAP_TILE_URL,
        "citysafe_version": __version__,
    }
