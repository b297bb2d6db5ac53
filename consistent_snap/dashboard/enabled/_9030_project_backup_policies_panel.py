PANEL = 'backup_policies'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'data_protection'
ADD_PANEL = 'consistent_snap.dashboard.backup_policies.panel.BackupPolicies'
