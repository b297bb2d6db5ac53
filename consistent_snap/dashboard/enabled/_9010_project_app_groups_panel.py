PANEL = 'app_groups'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'data_protection'
ADD_PANEL = 'consistent_snap.dashboard.app_groups.panel.AppGroups'
