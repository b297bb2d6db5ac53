"""consistent-snap's Horizon panels, in a real headless Chromium.

Horizon 27 from PyPI (tests/cloud/horizon.sh: its own venv, our enabled/
files) is served on a free port against the test cloud's Keystone; Selenium
drives Debian's chromium through chromedriver, as the demo member would:
log in, make an app group of a Heat stack, take a group snapshot with
"Snapshot now", watch its status turn available in the polled table, open
it, add a backup policy, and delete it all again through the UI.

Screenshots of every page land in $CS_DIR/artifacts/dashboard/ (printed).
"""

import os
import pathlib
import re
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

if not os.environ.get('CS_TEST_CLOUD'):
    pytest.skip('CS_TEST_CLOUD is not set: tests/run.sh sets it and '
                'installs Horizon and Chromium', allow_module_level=True)

from selenium.common import exceptions as web_exceptions  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome import service as chrome_service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import select  # noqa: E402
from selenium.webdriver.support import wait as web_wait  # noqa: E402

from consistent_snap.sdk import service as sdk_service  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
HORIZON_SH = ROOT / 'tests' / 'cloud' / 'horizon.sh'
CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
# Installing Horizon's venv and compressing its static files comes first.
HORIZON_START_S = 900
SNAPSHOT_S = 240
WAIT_S = 300
# Without these, chromium reaches for the network this machine lacks.
CHROMIUM_ARGS = ('--headless=new', '--no-sandbox', '--disable-gpu',
                 '--disable-quic', '--no-first-run',
                 '--disable-background-networking',
                 '--disable-component-update', '--disable-sync',
                 '--disable-dev-shm-usage', '--window-size=1440,1000')


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def artifacts(test_cloud):
    path = pathlib.Path(test_cloud.CS_DIR) / 'artifacts' / 'dashboard'
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob('*.png'):
        old.unlink()
    print('\ndashboard screenshots and log: %s' % path)
    return path


@pytest.fixture(scope='module')
def horizon(artifacts):
    """Horizon's URL; it is started here and stopped by its PID."""
    port = _free_port()
    log = open(artifacts / 'horizon.log', 'w')
    # Its own session: the install's children go with it.
    process = subprocess.Popen(['bash', str(HORIZON_SH), 'serve', str(port)],
                               stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    url = 'http://127.0.0.1:%d' % port
    try:
        deadline = time.monotonic() + HORIZON_START_S
        while not _answers(url + '/auth/login/'):
            assert process.poll() is None, (
                'Horizon exited with %s; see %s' % (process.returncode,
                                                    log.name))
            assert time.monotonic() < deadline, 'Horizon did not answer'
            time.sleep(1)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        log.close()


def _answers(url):
    import requests
    try:
        return requests.get(url, timeout=10).status_code == 200
    except requests.ConnectionError:
        return False


@pytest.fixture(scope='module')
def browser(horizon):
    assert os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK), (
        'chromium and chromium-driver are not installed: '
        'bash tests/cloud/horizon.sh browser')
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.TemporaryDirectory(prefix='cs-chromium-')
    for arg in CHROMIUM_ARGS + ('--user-data-dir=' + profile.name,):
        options.add_argument(arg)
    driver = webdriver.Chrome(
        service=chrome_service.Service(executable_path=CHROMEDRIVER),
        options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()
        profile.cleanup()


@pytest.fixture(scope='module')
def prefix():
    return 'cs-ui-%s' % uuid.uuid4().hex[:8]


@pytest.fixture(scope='module')
def demo_proxy(demo, prefix):
    """demo's consistent-snap proxy.

    At the end it deletes what the UI made and a failed test left behind:
    the app groups whose names start with prefix, their snapshots and
    policies.
    """
    demo.add_service(sdk_service.description())
    proxy = getattr(demo, sdk_service.PROXY_ATTR)
    yield proxy
    groups = [g for g in proxy.app_groups() if g.name.startswith(prefix)]
    ids = {g.id for g in groups}
    for policy in proxy.backup_policies():
        if policy.app_group_id in ids:
            proxy.delete_backup_policy(policy)
    for snapshot in proxy.group_snapshots():
        if snapshot.app_group_id in ids and snapshot.status in (
                'available', 'error', 'aborted'):
            proxy.delete_group_snapshot(snapshot)
    for group in groups:
        proxy.delete_app_group(group)


def _stack_template(prefix):
    def server(zone):
        return {'type': 'OS::Nova::Server',
                'properties': {'name': '%s-%s' % (prefix, zone),
                               'image': 'tiny', 'flavor': 'm1.tiny',
                               'networks': [{'allocate_network': 'none'}],
                               # A fake host each: one fence per host.
                               'availability_zone': zone}}
    return {'heat_template_version': '2018-08-31',
            'resources': {'web': server('compute-1'),
                          'db': server('compute-2')}}


@pytest.fixture(scope='module')
def ui_stack(demo, prefix):
    """demo's Heat stack of two servers on compute-1 and compute-2."""
    name = '%s-stack' % prefix
    stack = demo.orchestration.create_stack(
        name=name, template=_stack_template(prefix), timeout_mins=10)
    try:
        demo.orchestration.wait_for_status(
            stack, 'CREATE_COMPLETE', failures=['CREATE_FAILED'], wait=WAIT_S)
        servers = {s.name: s for s in demo.compute.servers(
            name='^%s-compute' % prefix)}
        assert sorted(servers) == ['%s-compute-1' % prefix,
                                   '%s-compute-2' % prefix]
        yield {'name': name, 'id': stack.id, 'servers': servers}
    finally:
        demo.orchestration.delete_stack(stack, ignore_missing=True)
        demo.orchestration.wait_for_delete(stack, wait=WAIT_S)


class Dashboard:
    """The browser on Horizon, with the few gestures the story needs."""

    def __init__(self, driver, url, artifacts):
        self.driver = driver
        self.url = url
        self.artifacts = artifacts

    def wait(self, condition, timeout=60, message=''):
        try:
            return web_wait.WebDriverWait(
                self.driver, timeout, poll_frequency=0.5,
                ignored_exceptions=(
                    web_exceptions.StaleElementReferenceException,
                    web_exceptions.NoSuchElementException),
            ).until(condition, message)
        except web_exceptions.TimeoutException:
            self.shoot('failed')
            raise

    def open(self, path):
        self.driver.get(self.url + path)
        self.wait(lambda d: d.execute_script(
            'return document.readyState') == 'complete')

    def find(self, css, within=None):
        return (within or self.driver).find_element(By.CSS_SELECTOR, css)

    def find_all(self, css, within=None):
        return (within or self.driver).find_elements(By.CSS_SELECTOR, css)

    def shoot(self, name):
        self.driver.save_screenshot(str(self.artifacts / ('%s.png' % name)))

    def login(self, user, password):
        self.open('/auth/login/')
        self.find('#id_username').send_keys(user)
        self.find('#id_password').send_keys(password)
        self.find('#loginBtn').click()
        self.wait(lambda d: '/auth/login' not in d.current_url,
                  message='login did not leave the login page')

    def click(self, css):
        # Horizon's themed checkboxes and buttons hide under labels.
        element = self.wait(lambda d: self.find(css), message=css)
        self.driver.execute_script('arguments[0].click();', element)

    def modal(self):
        return self.wait(lambda d: self.find('.modal.in form'),
                         message='no modal form opened')

    def fill(self, values, selects=None):
        form = self.modal()
        for field, value in values.items():
            box = self.find('#id_%s' % field, form)
            box.clear()
            box.send_keys(value)
        for field, text in (selects or {}).items():
            select.Select(self.find('#id_%s' % field, form)
                          ).select_by_visible_text(text)
        return form

    def submit(self, form):
        self.find('.modal-footer [type=submit]', form).click()
        self.wait(lambda d: not self.find_all('.modal.in'),
                  message='the modal stayed open: %s' % self._errors())

    def _errors(self):
        return [e.text for e in self.find_all(
            '.modal.in .error, .modal.in .alert-danger, .alert-danger')]

    def messages(self):
        # textContent: Horizon folds the API's words under "Details".
        return [' '.join(e.get_attribute('textContent').split())
                for e in self.find_all('.messages .alert')]

    def row(self, table, text):
        """The row of table whose text contains text."""
        def found(driver):
            for row in self.find_all('#%s tbody tr' % table):
                if text in row.text:
                    return row
            return False
        return self.wait(found, message='no row with %r in %s: %s'
                         % (text, table, self.messages()))

    def cell(self, row, column):
        """The text of row's cell under the header column."""
        table = row.find_element(By.XPATH, './ancestor::table')
        headers = [th.text.strip() for th in self.find_all(
            'thead tr:last-child th', table)]
        return self.find_all('td', row)[headers.index(column)].text.strip()

    def delete_rows(self, table, action, texts):
        """Select rows, run the table's delete action, confirm it."""
        for text in texts:
            row = self.row(table, text)
            self.driver.execute_script(
                'arguments[0].click();',
                self.find('input.table-row-multi-select', row))
        self.click('#%s__action_%s' % (table, action))
        self.click('.modal.in .modal-footer .btn-danger')


def test_app_group_snapshot_and_policy_through_the_dashboard(
        browser, horizon, artifacts, ui_stack, demo_proxy, prefix):
    ui = Dashboard(browser, horizon, artifacts)
    ui.login('demo', 'minicloud')
    group_name = '%s-app' % prefix
    server_names = sorted(ui_stack['servers'])

    # The Data Protection group's three panels are in the sidebar.
    ui.open('/project/app_groups/')
    sidebar = ui.find('#sidebar-accordion').get_attribute('textContent')
    for label in ('Data Protection', 'App Groups', 'Group Snapshots',
                  'Backup Policies'):
        assert label in sidebar

    # Create an app group from the Heat stack, chosen from a select.
    ui.click('#app_groups__action_create')
    form = ui.fill({'name': group_name},
                   selects={'source_type': 'Heat stack',
                            'stack': ui_stack['name']})
    ui.shoot('01-app-group-create')
    ui.submit(form)
    row = ui.row('app_groups', group_name)
    group_id = row.get_attribute('data-object-id')
    assert ui.cell(row, 'Source') == 'Heat stack %s' % ui_stack['name']
    assert ui.cell(row, 'Members') == '2'
    assert ui.cell(row, 'Last snapshot') == 'never'
    ui.shoot('02-app-groups')

    # Its detail page: the members, resolved live, each with its host.
    ui.find('a', row).click()
    members = {ui.cell(r, 'Server'): r
               for r in ui.find_all('#members tbody tr')}
    assert sorted(members) == server_names
    hosts = {ui.cell(r, 'Host') for r in members.values()}
    # demo is a member, not an admin: Nova's per-project host IDs, by
    # their first 12 characters, the whole one in the tooltip.
    assert len(hosts) == 2 and all(re.fullmatch('[0-9a-f]{12}', h)
                                   for h in hosts)
    titles = {ui.find('span[title]', r).get_attribute('title')
              for r in members.values()}
    assert all(re.fullmatch('[0-9a-f]{56}', t) for t in titles)
    assert {t[:12] for t in titles} == hosts
    assert {ui.cell(r, 'Availability zone') for r in members.values()} == {
        'compute-1', 'compute-2'}
    ui.shoot('03-app-group-detail')

    # Snapshot now, in barrier mode; the table polls its status.
    ui.click('#members__action_snapshot')
    form = ui.fill({'name': '%s-snap' % prefix},
                   selects={'mode': 'Barrier: freeze all, then capture'})
    ui.shoot('04-snapshot-now')
    ui.submit(form)
    assert '/project/group_snapshots/' in browser.current_url
    row = ui.row('group_snapshots', '%s-snap' % prefix)
    snapshot_id = row.get_attribute('data-object-id')
    seen = set()

    def final(driver):
        # No reload here: Horizon's ajax row update rewrites the row.
        status = ui.cell(ui.find('tr[data-object-id="%s"]' % snapshot_id),
                         'Status').lower()
        seen.add(status)
        return status if status in ('available', 'error', 'aborted') else None
    assert ui.wait(final, SNAPSHOT_S, 'snapshot not final') == 'available', (
        demo_proxy.get_group_snapshot(snapshot_id).error)
    row = ui.row('group_snapshots', '%s-snap' % prefix)
    assert ui.cell(row, 'App group') == group_name
    assert ui.cell(row, 'Members') == '2'
    # The fake hosts have no quiescer: no guest was frozen, so no window,
    # and the cut is bounded by the spread of its points, not a freeze.
    cut = ui.cell(row, 'Cut')
    assert re.fullmatch(r'within \d+\.\d ms', cut), cut
    assert ui.cell(row, 'Freeze window (ms)') == '-'
    ui.shoot('05-group-snapshots')
    print('statuses seen while polling: %s' % sorted(seen))

    # Its detail page: members, skew, and the timeline drawn as SVG.
    ui.find('a', row).click()
    assert ui.find('#snapshot-status').text == 'available'
    assert ui.find('#snapshot-cut').text == cut
    assert float(ui.find('#snapshot-skew').text) >= 0
    rows = ui.find_all('#members tbody tr')
    assert sorted(ui.cell(r, 'Server') for r in rows) == server_names
    assert {ui.cell(r, 'Status') for r in rows} == {'available'}
    svg = ui.find('#member-timeline svg')
    assert len(ui.find_all('circle.cs-capture', svg)) == 2
    assert len(ui.find_all('rect.cs-freeze', svg)) == 0
    assert svg.size['width'] > 300
    ui.shoot('06-group-snapshot-detail')

    # Restore it as a new copy: the plan is shown first, nothing made;
    # confirmed, the restore runs and its page follows it.
    ui.open('/project/group_snapshots/')
    ui.click('#group_snapshots__row_%s__action_restore' % snapshot_id)
    form = ui.modal()
    ui.shoot('06a-restore-form')
    ui.find('.modal-footer [type=submit]', form).click()
    plan = ui.wait(lambda d: ui.find('.modal.in #restore-plan'),
                   message='no plan shown: %s' % ui._errors())
    assert plan.text.count('[servers] boot') == 2, plan.text
    assert not list(demo_proxy.restores(group_snapshot=snapshot_id))
    ui.shoot('06b-restore-plan')
    ui.click('.modal.in #id_confirm')
    ui.submit(ui.modal())
    assert '/project/group_snapshots/restores/' in browser.current_url
    restore_id = browser.current_url.rstrip('/').rsplit('/', 1)[1]
    status = ui.wait(lambda d: ui.find('#restore-status').text in (
        'available', 'error') and ui.find('#restore-status').text,
        SNAPSHOT_S, 'restore not final')
    assert status == 'available', demo_proxy.get_restore(restore_id).error
    rows = ui.find_all('#restore_members tbody tr')
    assert sorted(ui.cell(r, 'Server') for r in rows) == sorted(
        '%s-restored-%s' % (name, restore_id[:8]) for name in server_names)
    assert float(ui.find('#restore-ready').text) > 0
    ui.shoot('06c-restore-detail')
    demo_proxy.delete_restore(restore_id)
    demo_proxy.wait_for_restore(restore_id, status='deleted', wait=WAIT_S)

    # Verified (through the SDK): the badge in the list, the verdict on the
    # detail page, linked to the evidence, each member's checks.
    verification = demo_proxy.verify_group_snapshot(snapshot_id)
    demo_proxy.wait_for_restore(verification, status='deleted', wait=WAIT_S)
    ui.open('/project/group_snapshots/')
    row = ui.row('group_snapshots', '%s-snap' % prefix)
    assert ui.cell(row, 'Verification').startswith('passed (ready in '), (
        ui.cell(row, 'Verification'))
    ui.find('a', row).click()
    assert ui.find('#snapshot-verification').text.startswith('passed')
    ui.find('#snapshot-verification a').click()
    assert ui.find('#restore-verdict').text == 'passed'
    rows = ui.find_all('#restore_members tbody tr')
    # The fake hosts reach no guest agent: its checks are skipped.
    assert {ui.cell(r, 'Checks') for r in rows} == {
        'server_active passed, guest_agent skipped'}
    ui.shoot('06d-verification')

    # The app group now names its last snapshot.
    ui.open('/project/app_groups/')
    row = ui.row('app_groups', group_name)
    assert ui.cell(row, 'Last snapshot').startswith('available, ')

    # A backup policy, made in the UI and listed with its next run.
    ui.open('/project/backup_policies/')
    ui.click('#backup_policies__action_create')
    form = ui.fill({'name': '%s-nightly' % prefix, 'cron': '30 2 * * *',
                    'timezone': 'Europe/Paris', 'keep_last': '7'},
                   selects={'app_group': group_name})
    ui.shoot('07-backup-policy-create')
    ui.submit(form)
    row = ui.row('backup_policies', '%s-nightly' % prefix)
    assert ui.cell(row, 'App group') == group_name
    assert ui.cell(row, 'Cron') == '30 2 * * *'
    assert ui.cell(row, 'Time zone') == 'Europe/Paris'
    assert ui.cell(row, 'Keep last') == '7'
    assert ui.cell(row, 'Enabled') == 'yes'
    assert ui.find('a', row).get_attribute('href').endswith(
        '/project/app_groups/%s/' % group_id)
    # 02:30 in Paris is 00:30 or 01:30 UTC.
    assert re.fullmatch(r'\d{4}-\d\d-\d\d 0[01]:30 UTC',
                        ui.cell(row, 'Next run'))
    ui.shoot('08-backup-policies')

    # And everything deleted again through the UI.
    ui.delete_rows('backup_policies', 'delete', ['%s-nightly' % prefix])
    ui.wait(lambda d: not [r for r in ui.find_all('#backup_policies tbody tr')
                           if prefix in r.text],
            message='policy still listed: %s' % ui.messages())
    ui.open('/project/group_snapshots/')
    ui.delete_rows('group_snapshots', 'delete', ['%s-snap' % prefix])
    ui.wait(lambda d: demo_proxy.get_group_snapshot(snapshot_id).status
            in ('deleting', 'deleted'), message='snapshot not deleting')
    ui.open('/project/app_groups/')
    ui.delete_rows('app_groups', 'delete', [group_name])
    ui.wait(lambda d: not [r for r in ui.find_all('#app_groups tbody tr')
                           if group_name in r.text],
            message='app group still listed: %s' % ui.messages())
    assert demo_proxy.find_app_group(group_name) is None
    ui.shoot('09-app-groups-after-delete')
    demo_proxy.wait_for_group_snapshot(snapshot_id, status='deleted',
                                       wait=WAIT_S)


def test_an_api_refusal_is_shown_and_the_user_stays_logged_in(
        browser, horizon, artifacts, demo_proxy, prefix):
    # Horizon would log the user out on any openstacksdk HTTP error.
    group = demo_proxy.create_app_group(
        name='%s-empty' % prefix, source_type='metadata',
        source={'tags': ['%s-nobody-has-this-tag' % prefix]})
    ui = Dashboard(browser, horizon, artifacts)
    if '/auth/login' in ui.driver.current_url or not ui.find_all('#sidebar'):
        ui.login('demo', 'minicloud')
    ui.open('/project/app_groups/')
    row = ui.row('app_groups', group.name)
    assert ui.cell(row, 'Members') == '0'
    ui.click('#app_groups__row_%s__action_snapshot' % group.id)
    ui.find('.modal-footer [type=submit]', ui.modal()).click()
    ui.wait(lambda d: 'has no servers' in d.page_source,
            message='no refusal shown: %s' % ui.messages())
    ui.shoot('10-snapshot-refused')
    shown = ' '.join(ui.messages())
    assert 'Unable to start a group snapshot.' in shown
    assert 'app group %s has no servers' % group.name in shown
    ui.open('/project/group_snapshots/')
    assert '/auth/login' not in browser.current_url
    assert not [r for r in ui.find_all('#group_snapshots tbody tr')
                if group.name in r.text]
