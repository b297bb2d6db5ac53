"""Table columns the panels share."""

from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from horizon import tables

from consistent_snap.dashboard import payloads


def _host(member):
    label = payloads.host_label(member)
    title = payloads.host_title(member)
    if title is None:
        return label
    return format_html('<span title="{}">{}</span>', title, label)


def host_column():
    """Host: the compute host to admins; to others the start of the host
    ID, the whole one in its tooltip.
    """
    return tables.Column(_host, verbose_name=_('Host'))
