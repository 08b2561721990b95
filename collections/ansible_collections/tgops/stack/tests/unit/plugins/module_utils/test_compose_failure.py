# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.tgops.stack.plugins.module_utils.compose import config_failure_message

# Recorded from Compose 2.26 on a file with "services:\n  api: [unclosed\n".
COMPOSE_STDERR = "yaml: line 1: did not find expected ',' or ']'"


def test_bad_yaml_file_is_named(tmp_path):
    good = tmp_path / 'docker-compose.yml'
    good.write_text('services:\n  api:\n    image: x\n')
    bad = tmp_path / 'docker-compose.vps.override.yml'
    bad.write_text('services:\n  api: [unclosed\n')
    msg = config_failure_message(15, COMPOSE_STDERR, [str(good), str(bad)])
    assert 'rc=15' in msg and COMPOSE_STDERR in msg
    assert 'docker-compose.vps.override.yml (files option) is not valid YAML' in msg
    assert str(good) + ' (files option)' not in msg


def test_compose_naming_the_file_is_kept_as_is(tmp_path):
    f = tmp_path / 'compose.yaml'
    f.write_text('services: {}\n')
    out = 'service "api" refers to undefined volume nope: invalid compose project (compose.yaml)'
    assert config_failure_message(15, out, [str(f)]).endswith('Fix the file named above.')


def test_valid_yaml_lists_the_files(tmp_path):
    f = tmp_path / 'a.yml'
    f.write_text('services: {}\n')
    msg = config_failure_message(1, 'some semantic error', [str(f)])
    assert 'The files were: %s' % f in msg
