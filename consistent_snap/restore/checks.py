"""A verification's checks: each restored member proven usable, recorded.

They run once every member is restored, member after member in the order
their servers became ACTIVE (the order the application came up in), each
check's outcome, output (bounded) and time written into the member's
evidence. Adding a check: a function (conn, member) -> (passed, output)
and a line in CHECKS.
"""

import time

OUTPUT_MAX = 2048


def server_active(conn, member):
    """The copy is still ACTIVE now that every member is up."""
    server = conn.compute.get_server(member['new_server_id'])
    output = 'server %s is %s' % (server.id, server.status)
    fault = (server.fault or {}).get('message')
    if fault:
        output += ': %s' % fault
    return server.status == 'ACTIVE', output


CHECKS = (('server_active', server_active),)


def run(conn, members, evidence):
    """Every check of every member; the failures, as messages.

    members: the plan's, each with its new_server_id; evidence: the run's
    {server id: {'steps': [...]}}, where each member's checks are added.
    """
    def came_up(member):
        steps = evidence[member['server_id']]['steps']
        return max((s.get('ended_at') or 0 for s in steps
                    if s['step'] == 'server'), default=0)

    failures = []
    for member in sorted(members, key=came_up):
        records = evidence[member['server_id']].setdefault('checks', [])
        for name, check in CHECKS:
            record = {'check': name, 'started_at': time.time()}
            records.append(record)
            try:
                passed, output = check(conn, member)
            except Exception as e:
                passed, output = False, 'could not be checked: %s' % e
            record.update(passed=passed, output=output[:OUTPUT_MAX],
                          ended_at=time.time())
            if not passed:
                failures.append('check %s of %s (from server %s) failed: '
                                '%s' % (name, member['name'],
                                        member['server_id'], output))
    return failures
