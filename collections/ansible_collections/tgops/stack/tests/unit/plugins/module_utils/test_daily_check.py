# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import os
import threading
import time
import urllib.error

from ansible_collections.tgops.stack.plugins.module_utils import daily_check
from ansible_collections.tgops.stack.tests.unit.plugins.module_utils.helpers import FakeResponse


def test_gather_runs_probes_concurrently_and_keeps_errors_by_name():
    barrier = threading.Barrier(3, timeout=5)  # passes only when all three probes run at the same time

    def ok(value):
        def probe():
            barrier.wait()
            return value
        return probe

    def boom():
        barrier.wait()
        raise RuntimeError('daemon gone')

    results = daily_check.gather({'a': ok(1), 'b': ok(2), 'c': boom})
    assert results['a'] == (1, None) and results['b'] == (2, None)
    assert results['c'][0] is None and str(results['c'][1]) == 'daemon gone'
    assert daily_check.gather({}) == {}


def test_recent_files_filters_by_pattern_and_age_oldest_first(tmp_path):
    now = time.time()
    (tmp_path / 'sub').mkdir()
    files = {'todo-1.tar.zst': now - 3600, 'sub/todo-2.tar.gz': now - 60, 'old.tar.zst': now - 30 * 3600, 'notes.txt': now}
    for name, mtime in files.items():
        path = tmp_path / name
        path.write_bytes(b'x' * 3)
        os.utime(path, (mtime, mtime))
    found = daily_check.recent_files([str(tmp_path), str(tmp_path / 'missing')], ['*.tar.zst', '*.tar.gz'], 26, now=now)
    assert [os.path.relpath(f['path'], tmp_path) for f in found] == ['todo-1.tar.zst', 'sub/todo-2.tar.gz']
    assert found[0]['size'] == 3


def test_probe_http_reports_status_and_reason_without_raising():
    ok = daily_check.probe_http('http://h/health', 3, lambda url, timeout: FakeResponse(200, b'{"ok":true}'))
    assert ok['status'] == 200 and ok['msg'] == 'OK (11 bytes)' and ok['url'] == 'http://h/health'

    def http_503(url, timeout):
        raise urllib.error.HTTPError(url, 503, 'Service Unavailable', {}, None)

    down = daily_check.probe_http('http://h/health', 3, http_503)
    assert down['status'] == 503 and 'Service Unavailable' in down['msg']

    def refused(url, timeout):
        raise urllib.error.URLError(ConnectionRefusedError(111, 'Connection refused'))

    gone = daily_check.probe_http('http://h/health', 3, refused)
    assert gone['status'] == -1 and 'Connection refused' in gone['msg']


def test_db_params_for_runtime_and_migration():
    params = {'db_engine': 'sqlite', 'db_path_variable': 'DB_PATH', 'db_expected_volume': 'deploy_db_data', 'db_url_variable': 'DB_URL',
              'db_user': None, 'db_name': None}
    runtime = daily_check.db_params(params, 'api', True, ['users'])
    migration = daily_check.db_params(params, 'worker', False, [])
    assert runtime['service'] == 'api' and runtime['use_running_container'] is True and runtime['required_tables'] == ['users']
    assert migration['use_running_container'] is False and migration['expected_volume'] == 'deploy_db_data' and migration['path'] is None
