"""Security: after everything else ran, no log holds a token or password.

Named to run last, so it reads the logs of the whole run: the API, the
coordinator and every agent of the test cloud.
"""

import re

PASSWORD = 'minicloud'
# Fernet tokens start so; a password shows up as a value or in a URL.
SECRETS = [
    re.compile(r'gAAAAA[A-Za-z0-9_\-]{20,}'),
    re.compile(r'password\W{1,4}%s\b' % PASSWORD, re.IGNORECASE),
    re.compile(r'://[^:/\s]+:%s@' % PASSWORD),
]


def test_no_log_holds_a_token_or_a_password(test_cloud, api_as):
    token = api_as('minicloud-demo').conn.session.get_token()
    logs = sorted((test_cloud.CS_DIR / 'log').glob('*.log'))
    assert logs
    for log in logs:
        text = log.read_text(errors='replace')
        assert token not in text, log
        for secret in SECRETS:
            match = secret.search(text)
            assert match is None, '%s: %s' % (log, match.group(0)[:40])
