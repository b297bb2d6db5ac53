"""openstacksdk support for consistent-snap: one proxy for CLI, UI, tests.

    conn = openstack.connect(cloud='mycloud')
    conn.add_service(service.description())
    conn.consistent_snap.app_groups()
"""
