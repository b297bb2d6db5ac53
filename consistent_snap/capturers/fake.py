import time

from consistent_snap.capturers import base


class FakeCapturer(base.Capturer):
    """Records the instants only; makes nothing. For tests and benchmarks."""

    blocks = False

    def capture(self, member, labels):
        now = time.time()
        return base.Capture(artifacts=[], called_at=now, fixed_at=now)

    def is_fixed(self, artifact):
        return True

    def status(self, artifact):
        return 'available'

    def delete(self, artifact):
        pass
