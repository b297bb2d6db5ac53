"""The sample config and policy files generate from the code."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent


def _generate(tool, config, tmp_path):
    output = tmp_path / 'sample'
    subprocess.run([str(BIN / tool), '--config-file',
                    str(ROOT / 'etc/consistent_snap' / config),
                    '--output-file', str(output)], check=True,
                   capture_output=True)
    return output.read_text()


def test_config_sample_has_every_group_with_embedded_defaults(tmp_path):
    sample = _generate('oslo-config-generator',
                       'consistent-snap-config-generator.conf', tmp_path)
    for section in ('[DEFAULT]', '[api]', '[database]', '[resolvers]',
                    '[service_credentials]', '[keystone_authtoken]'):
        assert section in sample
    assert ('#connection = sqlite:///$state_path/consistent_snap.sqlite'
            in sample)
    assert '#auth_strategy = keystone' in sample


def test_policy_sample_documents_secure_rbac_defaults(tmp_path):
    sample = _generate('oslopolicy-sample-generator',
                       'consistent-snap-policy-generator.conf', tmp_path)
    assert ('#"consistent_snap:app_group:create": "(role:member and '
            'project_id:%(project_id)s) or rule:context_is_admin"' in sample)
    assert '#"consistent_snap:member:host": "rule:context_is_admin"' in sample
    assert ('#"consistent_snap:backup_policy:show": "(role:reader and '
            'project_id:%(project_id)s) or rule:context_is_admin"' in sample)
