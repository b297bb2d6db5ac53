"""Horizon's enabled/ files of consistent-snap (copy or link them into
openstack_dashboard/local/enabled/): the Data Protection panel group of the
project dashboard, then one file per panel."""
