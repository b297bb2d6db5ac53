"""/v1/backup-policies through the router, on a real SQLite file.

No Keystone here: the context is put where the auth middleware puts it,
and with no user token no trust is made (as with noauth).
"""

import datetime

from oslo_utils import timeutils
from oslo_utils import uuidutils
import pytest
import webob

from consistent_snap.api import deploy
from consistent_snap.api import router
from consistent_snap.api import util
from consistent_snap import context as cs_context

URL = '/v1/backup-policies'


@pytest.fixture
def project(db):
    return 'p-' + uuidutils.generate_uuid()


@pytest.fixture
def group(db, project):
    return db.app_group_create(_ctx(project), {
        'project_id': project, 'name': 'shop-' + project[-8:],
        'source_type': 'servers', 'source_ref': {'servers': []}})


def _ctx(project, roles=('member', 'reader')):
    return cs_context.RequestContext(user_id='u', project_id=project,
                                     roles=list(roles), overwrite=False)


@pytest.fixture
def call(enforcer):
    application = deploy.FaultWrapper(router.Router())

    def call(method, path, context, body=None):
        request = webob.Request.blank(path, method=method)
        if body is not None:
            request.json = body
            request.content_type = 'application/json'
        request.environ[util.CONTEXT_KEY] = context
        return request.get_response(application)
    return call


def _create(call, project, **fields):
    return call('POST', URL, _ctx(project), {'backup_policy': fields})


def _instant(text):
    return datetime.datetime.fromisoformat(text.rstrip('Z'))


def test_create_computes_the_next_run(call, project, group):
    before = timeutils.utcnow()
    response = _create(call, project, app_group=group['name'],
                       cron='0 */6 * * *', keep_last=2, max_age='30d',
                       name='nightly')
    assert response.status_int == 201, response.text
    created = response.json['backup_policy']
    assert response.location.endswith('%s/%s' % (URL, created['id']))
    assert (created['app_group_id'], created['timezone'],
            created['enabled'], created['keep_last'],
            created['max_age_s'], created['last_result'],
            created['mode']) == (group['id'], 'UTC', True, 2, 2592000,
                                 None, None)
    next_run_at = _instant(created['next_run_at'])
    assert before < next_run_at <= before + datetime.timedelta(hours=6)
    assert next_run_at.hour % 6 == 0 and next_run_at.minute == 0
    assert 'trust_id' not in created


def test_the_next_run_is_in_the_policy_time_zone(call, project, group):
    created = _create(call, project, app_group=group['id'],
                      cron='0 2 * * *',
                      timezone='Asia/Kolkata').json['backup_policy']
    # 02:00 in India is 20:30 UTC.
    assert created['next_run_at'].endswith('T20:30:00Z')


@pytest.mark.parametrize('fields, message', [
    ({'cron': '61 * * * *'}, 'backup_policy/cron: '),
    ({'cron': '* * *'}, 'backup_policy/cron: '),
    ({'timezone': 'Mars/Olympus'}, 'backup_policy/timezone: '),
    ({'max_age': '30 days'}, 'backup_policy/max_age: '),
    ({'keep_last': 0}, 'backup_policy/keep_last: '),
])
def test_a_bad_field_is_a_400_naming_it(call, project, group, fields,
                                        message):
    body = dict({'app_group': group['id'], 'cron': '* * * * *'}, **fields)
    response = _create(call, project, **body)
    assert response.status_int == 400
    assert message in response.json['error']['message']
    assert call('GET', URL, _ctx(project)).json['backup_policies'] == []


def test_an_unknown_app_group_is_a_404(call, project, group):
    response = _create(call, project, app_group='nope', cron='* * * * *')
    assert response.status_int == 404
    assert 'App group nope' in response.json['error']['message']


def test_update_disable_enable_and_clear_a_rule(call, project, group):
    created = _create(call, project, app_group=group['id'], cron='0 * * * *',
                      keep_last=2).json['backup_policy']
    path = '%s/%s' % (URL, created['id'])
    disabled = call('PATCH', path, _ctx(project), {'backup_policy': {
        'enabled': False, 'keep_last': None}}).json['backup_policy']
    assert (disabled['enabled'], disabled['next_run_at'],
            disabled['keep_last']) == (False, None, None)
    enabled = call('PATCH', path, _ctx(project), {'backup_policy': {
        'enabled': True, 'cron': '*/5 * * * * *'}}).json['backup_policy']
    assert enabled['next_run_at'] is not None
    assert _instant(enabled['next_run_at']).second % 5 == 0
    bad = call('PATCH', path, _ctx(project), {'backup_policy': {
        'timezone': 'Nowhere/Land'}})
    assert bad.status_int == 400
    assert 'backup_policy/timezone' in bad.json['error']['message']


def test_list_by_app_group_show_and_delete(call, project, group):
    created = _create(call, project, app_group=group['id'],
                      cron='* * * * *').json['backup_policy']
    listed = call('GET', '%s?app_group=%s' % (URL, group['name']),
                  _ctx(project)).json['backup_policies']
    assert [p['id'] for p in listed] == [created['id']]
    path = '%s/%s' % (URL, created['id'])
    shown = call('GET', path, _ctx(project, ['reader'])).json
    assert shown['backup_policy']['id'] == created['id']
    assert call('DELETE', path, _ctx(project)).status_int == 204
    assert call('GET', path, _ctx(project)).status_int == 404


def test_a_reader_cannot_write_another_project_sees_nothing(call, project,
                                                            group):
    reader = _ctx(project, ['reader'])
    response = call('POST', URL, reader, {'backup_policy': {
        'app_group': group['id'], 'cron': '* * * * *'}})
    assert response.status_int == 403
    assert 'consistent_snap:backup_policy:create' in response.text
    created = _create(call, project, app_group=group['id'],
                      cron='* * * * *').json['backup_policy']
    path = '%s/%s' % (URL, created['id'])
    assert call('PATCH', path, reader, {'backup_policy': {
        'enabled': False}}).status_int == 403
    other = _ctx('p-other')
    assert call('GET', path, other).status_int == 404
    assert call('DELETE', path, other).status_int == 404
