"""The public Atom feed of warnings: every public, active warning, each entry linking to its CAP 1.2 XML.

Consumers (media, the national release system, other platforms) poll the feed and fetch each entry's CAP message.
"""

from django.contrib.syndication.views import Feed
from django.urls import reverse, reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from . import cap
from .models import EarlyWarning, WarningStatus

FEED_LIMIT = 200


class PublicWarningFeed(Feed):
    feed_type = Atom1Feed
    title = _("公开预警信息")
    subtitle = _("生效中的公开预警,每条附 CAP 1.2 报文")
    link = reverse_lazy("early_warning:cap_feed")
    feed_url = reverse_lazy("early_warning:cap_feed")

    def items(self):
        return (EarlyWarning.objects.filter(is_public=True, status=WarningStatus.ACTIVE)
                .select_related("region").order_by("-updated_at", "-pk")[:FEED_LIMIT])

    def item_title(self, item):
        return item.headline or str(item)

    def item_description(self, item):
        return item.description or item.headline

    def item_link(self, item):
        return reverse("early_warning:cap_xml", args=[item.pk])

    def item_guid(self, item):
        return f"urn:citysafe:warning:{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.raised_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.sender_name or (item.issuer.name if item.issuer_id else cap.DEFAULT_SENDER_NAME)

    def item_categories(self, item):
        return [item.hazard_type, item.level]
