from django import apps


class ConsistentSnapDashboard(apps.AppConfig):
    name = 'consistent_snap.dashboard'
    # The default label, "dashboard", is taken by Horizon's own app.
    label = 'consistent_snap_dashboard'
