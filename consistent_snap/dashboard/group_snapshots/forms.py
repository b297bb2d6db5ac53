from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages

from consistent_snap.dashboard import api
from consistent_snap.dashboard import payloads


def _map_field(label):
    return forms.CharField(
        required=False, label=label,
        help_text=_('old=new pairs (name or ID), separated by commas.'))


class RestoreGroupSnapshot(forms.SelfHandlingForm):
    """The plan first, shown beside the form; then, once confirmed, run."""
    group_snapshot_id = forms.CharField(widget=forms.HiddenInput())
    mode = forms.ChoiceField(label=_('Mode'), choices=payloads.RESTORE_MODES)
    members = forms.MultipleChoiceField(
        label=_('Members'), required=False,
        help_text=_('None chosen: every member.'))
    network_map = _map_field(_('Network map'))
    flavor_map = _map_field(_('Flavor map'))
    az_map = _map_field(_('Zone map'))
    volume_type_map = _map_field(_('Volume type map'))
    keep_ips = forms.BooleanField(
        label=_('Keep fixed IPs and MACs'), required=False,
        help_text=_('Only where they are free: map to a copy of the '
                    'network.'))
    name_suffix = forms.CharField(
        max_length=64, required=False, label=_('Name suffix'),
        help_text=_('Default: -restored-<restore ID>.'))
    as_app_group = forms.CharField(max_length=255, required=False,
                                   label=_('Register as app group'))
    confirm = forms.BooleanField(
        label=_('Restore as planned'), required=False,
        help_text=_('Submit once without it to see the plan.'))

    def __init__(self, request, *args, **kwargs):
        members = kwargs.pop('members', ())
        super().__init__(request, *args, **kwargs)
        self.fields['members'].choices = [
            (m['server_id'], m.get('server_name') or m['server_id'])
            for m in members if m['status'] != 'skipped']
        self.plan = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data['body'] = payloads.restore_body(data)
        except payloads.InvalidInput as e:
            raise ValidationError(str(e))
        try:
            self.plan = api.consistent_snap(self.request).plan_restore(
                **data['body'])
        except Exception as e:
            raise ValidationError(_('The restore could not be planned: %s')
                                  % e)
        if self.plan['problems']:
            raise ValidationError([p['message'] for p in
                                   self.plan['problems']])
        if not data.get('confirm'):
            raise ValidationError(_('Nothing was created: review the plan, '
                                    'then tick "Restore as planned".'))
        return data

    def handle(self, request, data):
        try:
            restore = api.consistent_snap(request).create_restore(
                **data['body'])
        except Exception:
            exceptions.handle(request, _('Unable to start the restore.'))
            return False
        messages.success(request, _('Restore %s started.') % restore.id)
        return restore
