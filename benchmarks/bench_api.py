"""The API's throughput with 100 app groups: SQLite beside MariaDB.

Run with the project's venv, the test cloud up (``bash tests/run.sh --co
-q`` brings it up)::

    .venv/bin/python benchmarks/bench_api.py --groups 100 --requests 300

For each database it starts its own consistent-snap-api process (noauth,
its own port, its own database: an SQLite file, or a MariaDB database on
the test cloud's server) on a broker virtual host of its own, so that the
snapshots it records reach no coordinator and nothing is captured. As the
demo project (noauth identity headers), it creates the app groups over
three servers of its own (compute-1..3), then measures with --clients
concurrent clients:

    list      GET /v1/app-groups?limit=1000       (database only)
    members   GET /v1/app-groups/{id}/members     (resolved live: Nova,
                                                   Cinder and Glance reads)
    create    POST /v1/group-snapshots, once per app group (the checks a
              request passes, through Nova, then one row and one cast)

and prints requests per second and latency p50/p99 per endpoint and
database. It deletes what it made: servers, databases, the virtual host.
"""

import argparse
import concurrent.futures
import datetime
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import openstack
import requests

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tests' / 'cloud'))
import plugin as cloud_plugin  # noqa: E402
import stats  # noqa: E402

VHOST = 'cs-bench-api'
MC_DIR = cloud_plugin.MC_DIR
MYSQL_SOCKET = MC_DIR / 'run' / 'mysqld.sock'
PORTS = {'sqlite': 18791, 'mariadb': 18792}


def _rabbitmqctl(*args):
    subprocess.run(['bash', '-c', 'source %s/etc/rabbitmq-env.sh && '
                    '/usr/lib/rabbitmq/bin/rabbitmqctl %s' % (
                        MC_DIR, ' '.join(args))],
                   check=True, capture_output=True, timeout=120)


def _mysql(sql):
    subprocess.run(['mysql', '--protocol=socket', '-S', str(MYSQL_SOCKET),
                    '-uroot', '-e', sql], check=True, capture_output=True)


def _connection(backend, workdir):
    if backend == 'sqlite':
        return 'sqlite:///%s/bench.sqlite' % workdir
    _mysql('DROP DATABASE IF EXISTS cs_bench_api; '
           'CREATE DATABASE cs_bench_api')
    return ('mysql+pymysql://root@localhost/cs_bench_api?unix_socket=%s'
            '&charset=utf8mb4' % MYSQL_SOCKET)


def _servers(demo):
    image = demo.image.find_image('tiny', ignore_missing=False)
    flavor = demo.compute.find_flavor('m1.tiny', ignore_missing=False)
    made = [demo.compute.create_server(
        name='cs-bench-api-%d' % i, image_id=image.id, flavor_id=flavor.id,
        networks='none', availability_zone='compute-%d' % i)
        for i in (1, 2, 3)]
    return [demo.compute.wait_for_server(s, wait=180) for s in made]


class Client:
    def __init__(self, port, project_id):
        self.base = 'http://127.0.0.1:%d' % port
        self.headers = {'X-Project-Id': project_id, 'X-User-Id': 'bench',
                        'X-Roles': 'member,reader'}
        self.http = requests.Session()

    def __call__(self, method, path, body=None, expect=200):
        response = self.http.request(method, self.base + path, json=body,
                                     headers=self.headers, timeout=120)
        if response.status_code != expect:
            raise RuntimeError('%s %s: %d %s' % (
                method, path, response.status_code, response.text[:300]))
        return response.json()


def _timed(calls, clients):
    """Run the calls with that many threads: (seconds, latencies)."""
    def one(call):
        started = time.perf_counter()
        call()
        return time.perf_counter() - started
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        latencies = list(pool.map(one, calls))
    return time.perf_counter() - started, latencies


def _figures(seconds, latencies):
    return {'requests': len(latencies), 'rps': len(latencies) / seconds,
            'p50_ms': stats.percentile(latencies, 50) * 1000,
            'p99_ms': stats.percentile(latencies, 99) * 1000}


def _bench(backend, args, project_id, server_ids, workdir):
    name = 'bench-api-%s' % backend
    conf = cloud_plugin.write_config(
        name='%s.conf' % name, connection=_connection(backend, workdir),
        auth_strategy='noauth', port=PORTS[backend],
        extra='[DEFAULT]\ntransport_url = %s%s\n' % (
            cloud_plugin.TRANSPORT_URL, VHOST))
    cloud_plugin.db_sync(conf)
    cloud_plugin.start_api(conf, name=name, port=PORTS[backend])
    try:
        api = Client(PORTS[backend], project_id)
        groups = [api('POST', '/v1/app-groups', {'app_group': {
            'name': 'bench-%d' % i, 'source_type': 'servers',
            'source': {'servers': server_ids}}}, expect=201)['app_group']
            for i in range(args.groups)]
        ids = [g['id'] for g in groups]
        results = {}
        results['list'] = _figures(*_timed(
            [lambda: api('GET', '/v1/app-groups?limit=1000')] *
            args.requests, args.clients))
        results['members'] = _figures(*_timed(
            [lambda i=i: api('GET', '/v1/app-groups/%s/members' %
                             ids[i % len(ids)])
             for i in range(args.requests)], args.clients))
        results['create'] = _figures(*_timed(
            [lambda i=i: api('POST', '/v1/group-snapshots', {
                'group_snapshot': {'app_group': i}}, expect=202)
             for i in ids], args.clients))
        return results
    finally:
        cloud_plugin.stop(name)
        if backend == 'mariadb':
            _mysql('DROP DATABASE IF EXISTS cs_bench_api')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--groups', type=int, default=100)
    parser.add_argument('--requests', type=int, default=300)
    parser.add_argument('--clients', type=int, default=8)
    parser.add_argument('--backends', nargs='+', default=list(PORTS),
                        choices=list(PORTS))
    args = parser.parse_args()
    os.environ.update(cloud_plugin.env())
    demo = openstack.connect(cloud='minicloud-demo')
    project_id = demo.current_project_id
    _rabbitmqctl('add_vhost', VHOST)
    _rabbitmqctl('set_permissions', '-p', VHOST, 'os', '".*"', '".*"',
                 '".*"')
    servers = []
    results = {}
    try:
        servers = _servers(demo)
        with tempfile.TemporaryDirectory() as workdir:
            for backend in args.backends:
                results[backend] = _bench(backend, args, project_id,
                                          [s.id for s in servers], workdir)
    finally:
        for server in servers:
            demo.compute.delete_server(server, ignore_missing=True)
        _rabbitmqctl('delete_vhost', VHOST)
    print('machine: %d cores, load %.2f %.2f %.2f, %s' % (
        os.cpu_count(), *os.getloadavg(),
        datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M UTC')))
    print('%d app groups, %d clients' % (args.groups, args.clients))
    print('%-8s %-8s %8s %8s %9s %9s' % ('database', 'endpoint', 'requests',
                                         'req/s', 'p50 ms', 'p99 ms'))
    for backend, endpoints in results.items():
        for endpoint, f in endpoints.items():
            print('%-8s %-8s %8d %8.1f %9.1f %9.1f' % (
                backend, endpoint, f['requests'], f['rps'], f['p50_ms'],
                f['p99_ms']))


if __name__ == '__main__':
    main()
