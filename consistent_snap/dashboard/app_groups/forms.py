from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages

from consistent_snap.dashboard import api
from consistent_snap.dashboard import payloads


def _switched(kind, label):
    """Attributes showing a field for one source kind (horizon.forms.js)."""
    return {'class': 'switched', 'data-switch-on': 'source_type',
            'data-source_type-%s' % kind: label}


class _Settings(forms.SelfHandlingForm):
    """What every snapshot of the group does unless a request says."""
    default_mode = forms.ChoiceField(label=_('Default mode'),
                                     choices=payloads.MODES)
    consistent = forms.BooleanField(
        label=_('Consistent (fence the members)'), required=False,
        initial=True)
    quiesce = forms.BooleanField(label=_('Quiesce guests'), required=False,
                                 initial=True)
    include_volumes = forms.BooleanField(label=_('Include volumes'),
                                         required=False, initial=True)


class CreateAppGroup(_Settings):
    name = forms.CharField(max_length=255, label=_('Name'))
    description = forms.CharField(max_length=1024, required=False,
                                  label=_('Description'))
    source_type = forms.ChoiceField(
        label=_('Servers from'), choices=payloads.SOURCE_TYPES,
        widget=forms.Select(attrs={'class': 'switchable',
                                   'data-slug': 'source_type'}))
    stack = forms.ChoiceField(
        label=_('Heat stack'), required=False,
        widget=forms.Select(attrs=_switched('heat', _('Heat stack'))))
    server_group = forms.ChoiceField(
        label=_('Server group'), required=False,
        widget=forms.Select(attrs=_switched('server_group',
                                            _('Server group'))))
    tags = forms.CharField(
        required=False, label=_('Tags'),
        help_text=_('Servers carrying every tag; separate with commas.'),
        widget=forms.TextInput(attrs=_switched('metadata', _('Tags'))))
    properties = forms.CharField(
        required=False, label=_('Metadata'),
        help_text=_('key=value pairs the servers carry, e.g. tier=db.'),
        widget=forms.TextInput(attrs=_switched('metadata', _('Metadata'))))
    servers = forms.MultipleChoiceField(
        label=_('Servers'), required=False,
        widget=forms.SelectMultiple(attrs=_switched('servers',
                                                    _('Servers'))))
    field_order = ('name', 'description', 'source_type', 'stack',
                   'server_group', 'tags', 'properties', 'servers',
                   'default_mode', 'consistent', 'quiesce', 'include_volumes')

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields['stack'].choices = self._choices(
            request, lambda: api.orchestration(request).stacks(),
            _('Unable to list your Heat stacks.'))
        self.fields['server_group'].choices = self._choices(
            request, lambda: api.compute(request).server_groups(),
            _('Unable to list your server groups.'))
        self.fields['servers'].choices = self._choices(
            request, lambda: api.compute(request).servers(),
            _('Unable to list your servers.'))[1:]

    @staticmethod
    def _choices(request, list_them, error):
        try:
            found = sorted(list_them(), key=lambda r: r.name or r.id)
        except Exception:
            exceptions.handle(request, error)
            found = []
        return [('', _('Select one'))] + [(r.id, r.name or r.id)
                                          for r in found]

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                data['body'] = payloads.app_group_create_body(data)
            except payloads.InvalidInput as e:
                raise ValidationError(str(e))
        return data

    def handle(self, request, data):
        try:
            group = api.consistent_snap(request).create_app_group(
                **data['body'])
        except Exception:
            exceptions.handle(request, _('Unable to create app group "%s".')
                              % data['name'])
            return False
        messages.success(request, _('Created app group "%s".') % group.name)
        return group


class UpdateAppGroup(_Settings):
    app_group_id = forms.CharField(widget=forms.HiddenInput())
    name = forms.CharField(max_length=255, label=_('Name'))
    description = forms.CharField(max_length=1024, required=False,
                                  label=_('Description'))
    field_order = ('name', 'description', 'default_mode', 'consistent',
                   'quiesce', 'include_volumes')

    def handle(self, request, data):
        try:
            group = api.consistent_snap(request).update_app_group(
                data['app_group_id'], **payloads.app_group_update_body(data))
        except Exception:
            exceptions.handle(request, _('Unable to update app group "%s".')
                              % data['name'])
            return False
        messages.success(request, _('Updated app group "%s".') % group.name)
        return group


class SnapshotNow(forms.SelfHandlingForm):
    app_group_id = forms.CharField(widget=forms.HiddenInput())
    name = forms.CharField(max_length=255, required=False,
                           label=_('Snapshot name'))
    mode = forms.ChoiceField(label=_('Mode'), choices=payloads.MODES)
    quiesce = forms.BooleanField(
        label=_('Quiesce guests'), required=False, initial=True,
        help_text=_('Freeze guest filesystems through qemu-guest-agent; '
                    'members without one are captured crash-consistent.'))

    def handle(self, request, data):
        body = payloads.group_snapshot_body(data['app_group_id'], data)
        try:
            snapshot = api.consistent_snap(request).create_group_snapshot(
                **body)
        except Exception:
            exceptions.handle(request, _('Unable to start a group snapshot.'))
            return False
        messages.success(request, _('Group snapshot %s started; its status '
                                    'updates in the table.') % snapshot.id)
        return snapshot
