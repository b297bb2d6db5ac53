from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages

from consistent_snap.dashboard import api
from consistent_snap.dashboard import payloads


class BackupPolicyForm(forms.SelfHandlingForm):
    """Create a policy, or edit one when the initial data has its ID."""
    backup_policy_id = forms.CharField(widget=forms.HiddenInput(),
                                       required=False)
    name = forms.CharField(max_length=255, required=False, label=_('Name'))
    app_group = forms.ChoiceField(label=_('App group'))
    cron = forms.CharField(
        max_length=255, label=_('Schedule (cron)'), initial='0 2 * * *',
        help_text=_('Five fields: minute hour day month weekday, e.g. '
                    '"30 2 * * *" every day at 02:30.'))
    timezone = forms.CharField(
        max_length=64, label=_('Time zone'), initial='UTC',
        help_text=_('The schedule\'s wall times are in it, e.g. '
                    'Europe/Paris.'))
    keep_last = forms.IntegerField(
        min_value=1, required=False, label=_('Keep last'),
        help_text=_('Delete this policy\'s older snapshots beyond this '
                    'many; empty keeps them all.'))
    max_age = forms.CharField(
        max_length=32, required=False, label=_('Maximum age'),
        help_text=_('e.g. 30d, 12h; empty: no limit.'))
    mode = forms.ChoiceField(
        required=False, label=_('Mode'),
        choices=[('', _('The app group\'s'))] + list(payloads.MODES))
    enabled = forms.BooleanField(required=False, initial=True,
                                 label=_('Enabled'))

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        try:
            groups = api.consistent_snap(request).app_groups()
        except Exception:
            exceptions.handle(request, _('Unable to list app groups.'))
            groups = []
        self.fields['app_group'].choices = [
            (g.id, g.name) for g in sorted(groups, key=lambda g: g.name)]

    def handle(self, request, data):
        client = api.consistent_snap(request)
        body = payloads.backup_policy_body(data)
        policy_id = data.get('backup_policy_id')
        try:
            if policy_id:
                policy = client.update_backup_policy(policy_id, **body)
            else:
                policy = client.create_backup_policy(**body)
        except Exception:
            exceptions.handle(request, _('Unable to save backup policy.'))
            return False
        messages.success(request, _('Saved backup policy "%s"; next run %s.')
                         % (policy.name or policy.id,
                            policy.next_run_at or _('none (disabled)')))
        return policy
