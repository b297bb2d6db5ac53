PANEL = 'group_snapshots'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'data_protection'
ADD_PANEL = 'consistent_snap.dashboard.group_snapshots.panel.GroupSnapshots'
