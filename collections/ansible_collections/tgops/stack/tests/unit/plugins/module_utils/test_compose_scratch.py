# -*- coding: utf-8 -*-
from __future__ import annotations

import json
import os

from ansible_collections.tgops.stack.plugins.module_utils.compose_scratch import scratch_model

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


def load(name):
    # recorded: docker compose 2.26.1 config --format json of the sandbox stacks (example env files)
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


def test_sprint_copy_shares_nothing_with_production():
    config = load('scratch_sprint_config.json')
    model, summary = scratch_model(config, 'sprint-rehearsal', '/tmp/r/binds', env={'TELEGRAM_API_BASE': 'http://127.0.0.1:9'})
    assert model['name'] == 'sprint-rehearsal'
    assert model['volumes'] == {'pg_data': {'name': 'sprint-rehearsal_pg_data'}}
    assert model['networks'] == {'default': {'name': 'sprint-rehearsal_default', 'ipam': {}}}
    assert summary['networks_dropped'] == ['tgops_fakes'] and summary['ports_dropped'] == ['sprint-bot']
    bot = model['services']['sprint-bot']
    assert 'ports' not in bot and bot['restart'] == 'no' and bot['networks'] == {'default': None}
    assert bot['labels']['tgops.scratch'] == 'sprint-rehearsal'
    assert bot['environment']['TELEGRAM_API_BASE'] == 'http://127.0.0.1:9'
    assert bot['environment']['DB_URL'] == config['services']['sprint-bot']['environment']['DB_URL']
    sources = [m['source'] for m in bot['volumes']]
    assert all(s.startswith('/tmp/r/binds/sprint-bot/') for s in sources[:4])
    assert sources[4].endswith('secrets/google-sa.json'), 'a read-only bind (the key file) stays'
    assert [r['target'] for r in summary['binds_redirected']] == ['/app/imports', '/app/exports', '/app/reports', '/app/logs']
    assert config['services']['sprint-bot']['ports'], 'the input model is not changed'


def test_todo_copy_keeps_the_db_volume_key_under_a_scratch_name():
    model, summary = scratch_model(load('scratch_todo_config.json'), 'deploy-rehearsal', '/tmp/r/binds')
    assert summary['volumes'] == {'db_data': 'deploy-rehearsal_db_data'}
    for svc in model['services'].values():
        assert {'type': 'volume', 'source': 'db_data', 'target': '/data', 'volume': {}} in svc['volumes']
        assert 'tgops_fakes' not in (svc.get('networks') or {})
    assert model['services']['telegram-bot']['networks'] == {'default': None}


def test_explicit_names_and_external_volumes_are_renamed_and_kept_networks_stay():
    config = {'name': 'p', 'services': {'a': {'image': 'x', 'container_name': 'fixed', 'networks': ['shared', 'default'],
                                              'environment': ['A=1', 'B']}},
              'volumes': {'data': {'name': 'prod_data_for_real', 'external': True}},
              'networks': {'shared': {'name': 'shared', 'external': True}, 'default': {'name': 'p_default'}}}
    model, summary = scratch_model(config, 'p-rehearsal', '/b', env={'B': 2}, keep_networks=['shared'])
    assert model['volumes']['data'] == {'name': 'p-rehearsal_data'}
    assert model['networks']['shared'] == {'name': 'shared', 'external': True}
    assert model['networks']['default'] == {'name': 'p-rehearsal_default'}
    svc = model['services']['a']
    assert 'container_name' not in svc and svc['networks'] == ['shared', 'default'] and svc['environment'] == {'A': '1', 'B': '2'}
    assert summary['networks_dropped'] == []


def test_mounts_add_a_read_only_bind_to_the_named_service_only():
    config = load('scratch_sprint_config.json')
    mount = {'service': 'db', 'source': '/tmp/r/db', 'target': '/tgops-rehearsal'}
    model, summary = scratch_model(config, 'sprint-rehearsal', '/tmp/r/binds', mounts=[mount])
    added = {'type': 'bind', 'source': '/tmp/r/db', 'target': '/tgops-rehearsal', 'read_only': True, 'bind': {'create_host_path': False}}
    assert model['services']['db']['volumes'][-1] == added
    assert added not in model['services']['sprint-bot']['volumes']
    assert summary['mounts_added'] == [mount]
    assert summary['binds_redirected'][0]['service'] == 'sprint-bot', 'a read-only mount is not redirected'


def test_a_mount_for_an_unknown_service_names_the_services():
    try:
        scratch_model(load('scratch_sprint_config.json'), 'sprint-rehearsal', '/b', mounts=[{'service': 'postgres', 'source': '/s', 'target': '/t'}])
    except ValueError as exc:
        assert 'service postgres is not in the project (services: db, sprint-bot)' in str(exc)
    else:
        raise AssertionError('an unknown service was accepted')
