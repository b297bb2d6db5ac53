"""What the dashboard sends to and shows from the consistent-snap API.

Plain functions over dicts, no Django: form data in, request bodies out;
API documents in, the words a table shows out.
"""

MODES = (('barrier', 'Barrier: freeze all, then capture'),
         ('shared_start', 'Shared start: capture at one instant'),
         ('priority', 'Priority: capture on receipt'))
SOURCE_TYPES = (('heat', 'Heat stack'), ('server_group', 'Server group'),
                ('metadata', 'Tag or metadata'), ('servers', 'Servers'))
RESTORE_MODES = (('new', 'A new copy beside the original'),
                 ('in_place', 'In place: the same servers, back in time'))
RESTORE_MAPS = (('network_map', 'Network map'), ('flavor_map', 'Flavor map'),
                ('az_map', 'Zone map'),
                ('volume_type_map', 'Volume type map'))
# Characters of a host ID the tables show.
SHORT_HOST_ID = 12


class InvalidInput(ValueError):
    """Form input the API would refuse; the message names the field."""


def split_list(text):
    """'a, b\\nc' -> ['a', 'b', 'c']: commas or new lines, no blanks."""
    items = (item.strip() for item in text.replace('\n', ',').split(','))
    return [item for item in items if item]


def parse_pairs(text, what='Metadata', form='key=value', need_value=False):
    """'tier=db, app=shop' -> {'tier': 'db', 'app': 'shop'}."""
    pairs = {}
    for item in split_list(text):
        key, sep, value = item.partition('=')
        if not sep or not key.strip() or (need_value and not value.strip()):
            raise InvalidInput('%s "%s" is not of the form %s.' % (
                what, item, form))
        pairs[key.strip()] = value.strip()
    return pairs


def app_group_source(data):
    """The API's source object for the source kind the form chose."""
    kind = data['source_type']
    if kind == 'heat':
        if not data.get('stack'):
            raise InvalidInput('Choose the Heat stack of the application.')
        return {'stack': data['stack']}
    if kind == 'server_group':
        if not data.get('server_group'):
            raise InvalidInput('Choose a server group.')
        return {'server_group': data['server_group']}
    if kind == 'metadata':
        source = {}
        tags = split_list(data.get('tags') or '')
        properties = parse_pairs(data.get('properties') or '')
        if tags:
            source['tags'] = tags
        if properties:
            source['properties'] = properties
        if not source:
            raise InvalidInput('Give a tag, a metadata key=value, or both.')
        return source
    if kind == 'servers':
        if not data.get('servers'):
            raise InvalidInput('Choose at least one server.')
        return {'servers': list(data['servers'])}
    raise InvalidInput('Unknown source kind "%s"; choose one of %s.'
                       % (kind, ', '.join(k for k, _ in SOURCE_TYPES)))


def app_group_create_body(data):
    """Attributes of POST /v1/app-groups from the create form's data."""
    return {'name': data['name'],
            'description': data.get('description') or '',
            'source_type': data['source_type'],
            'source': app_group_source(data),
            'default_mode': data.get('default_mode') or 'barrier',
            'consistent': bool(data.get('consistent')),
            'quiesce': bool(data.get('quiesce')),
            'include_volumes': bool(data.get('include_volumes'))}


def app_group_update_body(data):
    """Attributes of PATCH /v1/app-groups/{id}: settings, not the source.

    The source is the application: another one makes another app group.
    """
    return {'name': data['name'],
            'description': data.get('description') or '',
            'default_mode': data['default_mode'],
            'consistent': bool(data.get('consistent')),
            'quiesce': bool(data.get('quiesce')),
            'include_volumes': bool(data.get('include_volumes'))}


def group_snapshot_body(app_group_id, data):
    """Attributes of POST /v1/group-snapshots from "Snapshot now"."""
    body = {'app_group': app_group_id,
            'mode': data['mode'],
            'consistent': True,
            'quiesce': bool(data.get('quiesce'))}
    if data.get('name'):
        body['name'] = data['name']
    return body


def backup_policy_body(data):
    """Attributes of POST or PATCH /v1/backup-policies from its form.

    An empty keep-last or max-age is sent as None: the rule is dropped.
    """
    body = {'name': data.get('name') or '',
            'app_group': data['app_group'],
            'cron': data['cron'].strip(),
            'timezone': (data.get('timezone') or 'UTC').strip(),
            'keep_last': data.get('keep_last') or None,
            'max_age': (data.get('max_age') or '').strip() or None,
            'enabled': bool(data.get('enabled'))}
    if data.get('mode'):
        body['mode'] = data['mode']
    return body


def restore_body(data):
    """Attributes of POST /v1/restores (or its plan) from the form."""
    body = {'group_snapshot': data['group_snapshot_id'],
            'mode': data['mode']}
    if data.get('members'):
        body['members'] = list(data['members'])
    for key, what in RESTORE_MAPS:
        mapping = parse_pairs(data.get(key) or '', what, 'old=new',
                              need_value=True)
        if mapping:
            body[key] = mapping
    if data.get('keep_ips'):
        body['keep_ips'] = True
    for key in ('name_suffix', 'as_app_group'):
        if (data.get(key) or '').strip():
            body[key] = data[key].strip()
    return body


def source_label(source_type, source):
    """What an app group is made of, in words: 'Heat stack shop'."""
    source = source or {}
    if source_type == 'heat':
        return 'Heat stack %s' % (source.get('stack_name') or
                                  source.get('stack'))
    if source_type == 'server_group':
        return 'Server group %s' % (source.get('server_group_name') or
                                    source.get('server_group'))
    if source_type == 'metadata':
        parts = ['tag %s' % tag for tag in source.get('tags', ())]
        parts += ['%s=%s' % kv for kv in
                  sorted(source.get('properties', {}).items())]
        return 'Servers with ' + ', '.join(parts)
    if source_type == 'servers':
        count = len(source.get('servers', ()))
        return '%d server%s' % (count, '' if count == 1 else 's')
    return source_type or '-'


def host_label(member):
    """The compute host an admin sees, or the start of the host ID.

    Nova's per-project host IDs are 56-character hashes: their first
    SHORT_HOST_ID characters tell hosts apart; host_title() is the whole.
    """
    if member.get('host'):
        return member['host']
    return (member.get('host_id') or '-')[:SHORT_HOST_ID]


def host_title(member):
    """The whole host ID where host_label() shows only its start, or None."""
    host_id = member.get('host_id')
    if member.get('host') or not host_id or len(host_id) <= SHORT_HOST_ID:
        return None
    return host_id


def volumes_label(member):
    """'2 (3 GiB)' for a member's attached volumes, or 'none'."""
    volumes = member.get('volumes') or ()
    if not volumes:
        return 'none'
    size = sum(v.get('size') or 0 for v in volumes)
    return '%d (%d GiB)' % (len(volumes), size)


def newest_by_app_group(snapshots):
    """{app_group_id: newest snapshot}; the API lists newest first."""
    newest = {}
    for snapshot in snapshots:
        newest.setdefault(snapshot['app_group_id'], snapshot)
    return newest
