"""The capturers against the real Glance and Cinder of the test cloud."""

from oslo_config import cfg
import pytest

from consistent_snap.capturers import cinder
from consistent_snap.capturers import nova


@pytest.fixture
def labelled_image(admin, run_id):
    # Named as the agent names an artifact (nova.is_ours).
    image = admin.image.create_image(
        name='cs-%s-label' % ('gs-%s' % run_id)[:8], disk_format='raw',
        container_format='bare', data=b'\0' * 512,
        consistent_snap_group_snapshot_id='gs-%s' % run_id)
    yield image
    admin.image.delete_image(image, ignore_missing=True)


@pytest.mark.parametrize('driver', [nova.NovaCapturer, cinder.CinderCapturer])
def test_find_returns_only_what_carries_the_label(admin, driver, run_id):
    # A label nobody carries: nothing may come back, whatever the cloud
    # holds (find() feeds deletion).
    capturer = driver(cfg.CONF, admin)
    assert capturer.find('no-such-snapshot-%s' % run_id) == []


def test_nova_capturer_finds_its_labelled_image(admin, labelled_image,
                                                run_id):
    found = nova.NovaCapturer(cfg.CONF, admin).find('gs-%s' % run_id)
    assert found == [{'type': 'image', 'id': labelled_image.id}]
