# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import time

import pytest
from ansible_collections.tgops.stack.plugins.module_utils import journal
from ansible_collections.tgops.stack.plugins.module_utils.journal import (
    JournalError,
    build_record,
    default_jsonl_path,
    new_journal,
    parse_journal,
    parse_records,
    read_journal,
    remove_entry,
    section_for_kind,
    upsert_entry,
    validate_entry_id,
    write_atomic,
)

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = os.path.join(HERE, 'fixtures', 'journal_seed_prod_v0.md')

DAY = '### Day 1 — 2026-11-22\n- `docker compose ps`: OK\n- API health: OK\n'


def seed_text():
    with open(SEED, 'rb') as handle:
        return handle.read().decode('utf-8')


def headings(text):
    return [line for line in text.splitlines() if line.startswith('## ')]


def test_new_journal_has_title_and_all_sections_in_order():
    text = upsert_entry(None, 'day-2026-11-22', 'daily', DAY, title='OPS Journal (prod-v0)')
    assert text.startswith('# OPS Journal (prod-v0)\n\n')
    assert headings(text) == ['## ' + h for _k, h in journal.SECTIONS]
    assert headings(text)[:4] == ['## Environment', '## Baseline snapshot', '## Daily checks', '## Incidents and actions']
    assert headings(text)[-1] == '## Stability declaration'
    assert '\n## Daily checks\n\n<!-- tgops:begin id=day-2026-11-22 -->\n### Day 1 — 2026-11-22\n' in text
    assert '<!-- tgops:end id=day-2026-11-22 -->\n\n## Incidents and actions\n' in text
    assert text.endswith('## Stability declaration\n')


def test_new_journal_intro_and_empty_file():
    text = new_journal('T', intro='Goal: observe 7-14 days.')
    assert text.startswith('# T\n\nGoal: observe 7-14 days.\n\n## Environment\n')
    assert upsert_entry('', 'baseline', 'baseline', 'x') == upsert_entry(None, 'baseline', 'baseline', 'x')


def test_entry_in_last_section_ends_file_with_newline():
    text = upsert_entry(None, 'stable', 'stability', 'PROD-V0 STABLE')
    assert text.endswith('## Stability declaration\n\n<!-- tgops:begin id=stable -->\nPROD-V0 STABLE\n<!-- tgops:end id=stable -->\n')


def test_upsert_replaces_in_place_and_keeps_order():
    text = upsert_entry(None, 'day-1', 'daily', 'one')
    text = upsert_entry(text, 'day-2', 'daily', 'two')
    text = upsert_entry(text, 'day-3', 'daily', 'three')
    updated = upsert_entry(text, 'day-2', 'daily', 'TWO\nmore')
    assert [e['id'] for e in parse_journal(updated)['entries']] == ['day-1', 'day-2', 'day-3']
    assert updated == text.replace('\ntwo\n', '\nTWO\nmore\n')


def test_identical_upsert_is_no_change():
    text = upsert_entry(None, 'day-2026-11-22', 'daily', DAY)
    assert upsert_entry(text, 'day-2026-11-22', 'daily', DAY) == text
    # trailing blanks and whitespace do not count as a change
    assert upsert_entry(text, 'day-2026-11-22', 'daily', '\n' + DAY.replace('\n', '  \n') + '\n\n') == text


def test_new_entries_go_to_end_of_their_section():
    text = upsert_entry(None, 'day-1', 'daily', 'one')
    text = upsert_entry(text, 'incident-1', 'incidents', 'boom')
    text = upsert_entry(text, 'day-2', 'daily', 'two')
    parsed = parse_journal(text)
    assert [(e['id'], e['section']) for e in parsed['entries']] == [('day-1', 'daily'), ('day-2', 'daily'), ('incident-1', 'incidents')]
    assert '<!-- tgops:end id=day-1 -->\n\n<!-- tgops:begin id=day-2 -->' in text


def test_entry_moved_when_section_differs():
    text = upsert_entry(None, 'x-1', 'daily', 'one')
    moved = upsert_entry(text, 'x-1', 'incidents', 'one')
    assert [(e['id'], e['section']) for e in parse_journal(moved)['entries']] == [('x-1', 'incidents')]
    # moving back restores the original text
    assert upsert_entry(moved, 'x-1', 'daily', 'one') == text


def test_handwritten_seed_preserved_byte_for_byte():
    seed = seed_text()
    text = upsert_entry(seed, 'day-2026-11-22', 'daily', DAY)
    text = upsert_entry(text, 'baseline', 'baseline', '- Date (UTC): 2026-11-22')
    text = upsert_entry(text, 'incident-2026-11-22T10-04Z-bot-down', 'incidents', '### 2026-11-22 10:04 UTC — bot down')
    parsed = parse_journal(text)
    assert [(e['id'], e['section']) for e in parsed['entries']] == [
        ('baseline', 'baseline'), ('day-2026-11-22', 'daily'), ('incident-2026-11-22T10-04Z-bot-down', 'incidents')]
    # "## Daily checks (Day 1..14)" and "## PROD-V0 STABLE" are recognised, so no section is duplicated
    assert sum(1 for h in headings(text) if h.startswith('## Daily checks')) == 1
    # the hand-made incident stays before the managed one, the stability declaration after it
    assert text.index('Split SQLite volume incident') < text.index('tgops:begin id=incident-') < text.index('## PROD-V0 STABLE')
    # removing every managed entry gives back the original bytes
    for entry_id in ('day-2026-11-22', 'baseline', 'incident-2026-11-22T10-04Z-bot-down'):
        text = remove_entry(text, entry_id)
    assert text.encode('utf-8') == seed.encode('utf-8')


def test_handwritten_text_around_entries_kept_byte_for_byte():
    before = '# My journal\n\nfree text   with trailing spaces   \n\n## Daily checks\nhand line 1\n'
    text = upsert_entry(before, 'day-1', 'daily', 'one')
    text += 'hand line after\n'
    text = text.replace('<!-- tgops:end id=day-1 -->\n', '<!-- tgops:end id=day-1 -->\nhand between\n')
    text = upsert_entry(text, 'day-2', 'daily', 'two')
    updated = upsert_entry(text, 'day-1', 'daily', 'ONE')
    assert updated.encode() == text.replace('\none\n', '\nONE\n').encode()
    for line in ('free text   with trailing spaces   \n', 'hand line 1\n', 'hand between\n', 'hand line after\n'):
        assert line in updated
    assert updated.startswith(before[:before.index('## Daily')])


def test_missing_section_inserted_in_canonical_order():
    hand = '# J\n\n## Environment\n- Project path: x\n\n## Incidents and actions\nhand incident\n\n## PROD-V0 STABLE\nstable\n'
    text = upsert_entry(hand, 'day-1', 'daily', 'one')
    assert headings(text) == ['## Environment', '## Daily checks', '## Incidents and actions', '## PROD-V0 STABLE']
    assert text == hand.replace('## Incidents and actions', '## Daily checks\n\n<!-- tgops:begin id=day-1 -->\none\n'
                                '<!-- tgops:end id=day-1 -->\n\n## Incidents and actions')
    text = upsert_entry(text, 'b-1', 'backups', 'dump ok')
    assert headings(text) == ['## Environment', '## Daily checks', '## Incidents and actions', '## Backups', '## PROD-V0 STABLE']


def test_missing_section_appended_when_no_later_section():
    hand = '# J\n\n## Environment\nenv\n\n## Notes\nmy notes'
    text = upsert_entry(hand, 'stable', 'stability', 'stable')
    assert text == hand + '\n\n## Stability declaration\n\n<!-- tgops:begin id=stable -->\nstable\n<!-- tgops:end id=stable -->\n'
    # an entry for environment goes before the unmanaged "## Notes" heading
    text = upsert_entry(text, 'environment', 'environment', 'managed env')
    assert text.index('managed env') < text.index('## Notes')


def test_absent_removes_only_the_entry():
    text = upsert_entry(None, 'day-1', 'daily', 'one')
    with_two = upsert_entry(text, 'day-2', 'daily', 'two')
    with_three = upsert_entry(with_two, 'day-3', 'daily', 'three')
    assert remove_entry(with_three, 'day-3') == with_two
    removed_middle = remove_entry(with_three, 'day-2')
    assert [e['id'] for e in parse_journal(removed_middle)['entries']] == ['day-1', 'day-3']
    assert remove_entry(removed_middle, 'day-2') == removed_middle
    assert remove_entry(None, 'day-2') is None


@pytest.mark.parametrize('bad', ['', 'bad id', '-leading', 'a/b', 'é', 'x;rm', None])
def test_bad_entry_id(bad):
    with pytest.raises(JournalError) as err:
        validate_entry_id(bad)
    assert repr(bad) in str(err.value)
    assert 'day-2026-11-22' in str(err.value)
    with pytest.raises(JournalError):
        upsert_entry(None, bad, 'daily', 'x')


@pytest.mark.parametrize('good', ['baseline', 'day-2026-11-22', 'incident-2026-11-22T10-04Z-bot-down', 'deploy-1.2.3', 'a:b_c'])
def test_good_entry_id(good):
    assert validate_entry_id(good) == good


def test_unknown_section_and_kind():
    with pytest.raises(JournalError):
        upsert_entry(None, 'x', 'nope', 'x')
    with pytest.raises(JournalError):
        section_for_kind('nope')
    assert section_for_kind('deploy') == 'changes'
    assert section_for_kind('restore') == 'backups'
    assert section_for_kind('incident') == 'incidents'


def test_content_with_markers_rejected():
    with pytest.raises(JournalError):
        upsert_entry(None, 'x', 'daily', 'a\n<!-- tgops:end id=x -->\n')


def test_crlf_journal_tolerated():
    hand = '# J\r\n\r\n## Daily checks\r\nhand\r\n\r\n## Incidents and actions\r\n'
    text = upsert_entry(hand, 'day-1', 'daily', 'one\ntwo\n')
    assert '\n' not in text.replace('\r\n', '')
    assert text == hand.replace('hand\r\n', 'hand\r\n\r\n<!-- tgops:begin id=day-1 -->\r\none\r\ntwo\r\n<!-- tgops:end id=day-1 -->\r\n')
    assert upsert_entry(text, 'day-1', 'daily', 'one\r\ntwo') == text
    assert parse_journal(text)['entries'][0]['content'] == 'one\ntwo'
    assert remove_entry(text, 'day-1') == hand


def test_no_trailing_newline_tolerated():
    hand = '# J\n\n## Daily checks\nhand'
    text = upsert_entry(hand, 'day-1', 'daily', 'one')
    assert text == '# J\n\n## Daily checks\nhand\n\n<!-- tgops:begin id=day-1 -->\none\n<!-- tgops:end id=day-1 -->\n'
    # an entry that ends the file without a newline is replaced without adding one
    bare = text.rstrip('\n')
    assert upsert_entry(bare, 'day-1', 'daily', 'one') == bare
    assert upsert_entry(bare, 'day-1', 'daily', 'ONE') == bare.replace('\none\n', '\nONE\n')


@pytest.mark.parametrize('text, message', [
    ('<!-- tgops:begin id=a -->\nx\n', 'no end marker'),
    ('x\n<!-- tgops:end id=a -->\n', 'without a begin marker'),
    ('<!-- tgops:begin id=a -->\n<!-- tgops:begin id=b -->\n', 'begin marker inside'),
    ('<!-- tgops:begin id=a -->\n<!-- tgops:end id=b -->\n', 'still open'),
    ('<!-- tgops:begin id=a -->\n<!-- tgops:end id=a -->\n<!-- tgops:begin id=a -->\n<!-- tgops:end id=a -->\n', 'appears twice'),
])
def test_broken_markers_are_errors(text, message):
    with pytest.raises(JournalError) as err:
        upsert_entry(text, 'z', 'daily', 'x')
    assert message in str(err.value)


def test_headings_in_code_fences_ignored():
    hand = '# J\n\n## Daily checks\n```\n## Incidents and actions\n```\n'
    text = upsert_entry(hand, 'day-1', 'daily', 'one')
    assert text.startswith(hand)
    assert parse_journal(text)['entries'][0]['section'] == 'daily'


def test_parse_journal_for_journal_info():
    text = upsert_entry(seed_text(), 'day-2026-11-22', 'daily', DAY)
    parsed = parse_journal(text)
    assert parsed['title'] == 'OPS Journal (prod-v0)'
    keys = [(s['key'], s['heading']) for s in parsed['sections']]
    assert keys == [('environment', 'Environment'), ('baseline', 'Baseline snapshot'), ('daily', 'Daily checks (Day 1..14)'),
                    ('incidents', 'Incidents and actions'), ('stability', 'PROD-V0 STABLE')]
    entry = parsed['entries'][0]
    assert entry['id'] == 'day-2026-11-22'
    assert entry['section'] == 'daily'
    assert entry['heading'] == 'Daily checks (Day 1..14)'
    assert entry['content'] == DAY.rstrip('\n')
    assert text.splitlines()[entry['line'] - 1] == '<!-- tgops:begin id=day-2026-11-22 -->'


def test_parse_entry_under_unmanaged_heading():
    parsed = parse_journal('## Notes\n<!-- tgops:begin id=a -->\nx\n<!-- tgops:end id=a -->\n')
    assert parsed['entries'] == [{'id': 'a', 'section': None, 'heading': 'Notes', 'content': 'x', 'line': 2}]
    assert parsed['title'] is None


def test_records_build_and_parse():
    lines = [
        build_record('daily', 'day-1', 'daily', True, {'health': True}, '2026-11-22T10:00:00Z'),
        build_record('deploy', 'deploy-1', 'changes', True, None, '2026-11-22T11:00:00Z'),
        'not json\n',
        '\n',
        '[1, 2]\n',
        build_record('daily', 'day-2', 'daily', False, {'health': False}),
    ]
    first = json.loads(lines[0])
    assert first == {'ts': '2026-11-22T10:00:00Z', 'kind': 'daily', 'entry_id': 'day-1', 'section': 'daily',
                     'changed': True, 'results': {'health': True}}
    assert json.loads(lines[1])['results'] == {}
    assert json.loads(lines[-1])['ts'].endswith('Z')
    text = ''.join(lines)
    records, bad = parse_records(text)
    assert [r['entry_id'] for r in records] == ['day-1', 'deploy-1', 'day-2']
    assert bad == [3, 5]
    records, bad = parse_records(text, kind='daily', last=1)
    assert [r['entry_id'] for r in records] == ['day-2']
    assert parse_records(text, entry_id='deploy-1')[0][0]['kind'] == 'deploy'
    assert parse_records(text, last=0)[0] == []
    assert parse_records(None) == ([], [])


def test_default_jsonl_path():
    assert default_jsonl_path('/opt/x/OPS_JOURNAL.md') == '/opt/x/OPS_JOURNAL.jsonl'
    assert default_jsonl_path('/opt/x/journal') == '/opt/x/journal.jsonl'


def test_atomic_write_new_file_mode_and_no_temp_files(tmp_path):
    path = str(tmp_path / 'OPS_JOURNAL.md')
    write_atomic(path, upsert_entry(None, 'a', 'daily', 'x'))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(str(tmp_path)) == ['OPS_JOURNAL.md']


def test_atomic_write_keeps_mode_and_bytes(tmp_path):
    path = tmp_path / 'j.md'
    raw = b'# J\n\n## Daily checks\n\xff raw byte line\n'
    path.write_bytes(raw)
    os.chmod(str(path), 0o640)
    text = journal.read_text(str(path))
    new = upsert_entry(text, 'a', 'daily', 'x')
    write_atomic(str(path), new)
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o640
    assert path.read_bytes().startswith(raw)
    assert journal.read_text(str(path)) == new
    write_atomic(str(path), remove_entry(new, 'a'))
    assert path.read_bytes() == raw
    assert sorted(os.listdir(str(tmp_path))) == ['j.md']


def test_atomic_write_failure_leaves_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / 'j.md'
    path.write_text('old\n')

    def boom(src, dst):
        raise OSError('replace failed')

    monkeypatch.setattr(journal.os, 'replace', boom)
    with pytest.raises(OSError):
        write_atomic(str(path), 'new\n')
    assert path.read_text() == 'old\n'
    assert os.listdir(str(tmp_path)) == ['j.md']


def test_read_missing_and_append_line(tmp_path):
    assert journal.read_text(str(tmp_path / 'none.md')) is None
    jsonl = str(tmp_path / 'j.jsonl')
    journal.append_line(jsonl, build_record('daily', 'a', 'daily', True, {}, 't1'))
    journal.append_line(jsonl, build_record('daily', 'b', 'daily', True, {}, 't2'))
    assert stat.S_IMODE(os.stat(jsonl).st_mode) == 0o600
    assert [r['ts'] for r in parse_records(journal.read_text(jsonl))[0]] == ['t1', 't2']


def test_ensure_dir(tmp_path):
    target = str(tmp_path / 'a' / 'b')
    with pytest.raises(JournalError) as err:
        journal.ensure_dir(target, False)
    assert 'create_dirs' in str(err.value)
    assert journal.ensure_dir(target, True) is True
    assert journal.ensure_dir(target, True) is False


def test_read_journal_as_journal_info_returns_it(tmp_path):
    path = tmp_path / 'OPS_JOURNAL.md'
    assert read_journal(str(path)) == {
        'exists': False, 'title': None, 'sections': [], 'entries': [], 'jsonl_path': str(tmp_path / 'OPS_JOURNAL.jsonl'),
        'jsonl_exists': False, 'records': [], 'bad_record_lines': []}
    path.write_text('# Ops journal\n\n## Daily checks\n\n<!-- tgops:begin id=day-2026-11-22 -->\nDay 1\n<!-- tgops:end id=day-2026-11-22 -->\n')
    (tmp_path / 'OPS_JOURNAL.jsonl').write_text('{"kind": "daily", "id": "day-2026-11-22"}\nnot json\n')
    result = read_journal(str(path))
    assert result['exists'] is True and [e['id'] for e in result['entries']] == ['day-2026-11-22']
    assert [r['id'] for r in result['records']] == ['day-2026-11-22'] and result['bad_record_lines'] == [2]
    with pytest.raises(JournalError, match='is a directory'):
        read_journal(str(tmp_path))
    filtered = read_journal(str(path), kind='daily', entry_id='nope')
    assert filtered['entries'] == [] and filtered['records'] == []
    assert read_journal(str(path), records=False)['jsonl_exists'] is False


def test_human_time_in_headings():
    from ansible_collections.tgops.stack.plugins.module_utils.journal import human_time
    assert human_time('20261130T130445Z') == '2026-11-30 13:04'
    assert human_time('2026-11-30T13:04:45Z') == '2026-11-30 13:04'
    assert human_time('2026-11-30 13:04') == '2026-11-30 13:04'
    assert human_time('yesterday') == 'yesterday'
    assert human_time(None) == ''


# -- concurrent writers: real processes on real files (no mocks) --

HAND = '# Ops journal\n\nHand-written intro, kept byte for byte.\n\n## Incidents and actions\n\nA note by hand.\n'


def _writer(path, index, barrier):
    barrier.wait()
    journal.update_journal(path, 'entry-%02d' % index, 'changes', content='### Entry %d\n- written by writer %d\n' % (index, index),
                           kind='deploy', record={'writer': index})


def test_ten_concurrent_writers_lose_nothing(tmp_path):
    path = str(tmp_path / 'OPS_JOURNAL.md')
    with open(path, 'w') as handle:
        handle.write(HAND)
    ctx = multiprocessing.get_context('fork')
    barrier = ctx.Barrier(10)
    procs = [ctx.Process(target=_writer, args=(path, i, barrier)) for i in range(10)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    text = open(path).read()
    ids = [entry['id'] for entry in journal.parse_journal(text)['entries']]
    assert sorted(ids) == ['entry-%02d' % i for i in range(10)]
    assert 'Hand-written intro, kept byte for byte.' in text and 'A note by hand.' in text
    records = [json.loads(line) for line in open(journal.default_jsonl_path(path))]
    assert sorted(r['results']['writer'] for r in records) == list(range(10))
    assert oct(os.stat(journal.lock_path(path)).st_mode)[-3:] == '600'


def _holder(path, ready, release):
    with journal.locked(path):
        ready.set()
        release.wait(30)


def test_a_held_lock_makes_a_writer_wait_then_fail_naming_the_lock(tmp_path):
    path = str(tmp_path / 'OPS_JOURNAL.md')
    ctx = multiprocessing.get_context('fork')
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_holder, args=(path, ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        start = time.monotonic()
        with pytest.raises(journal.JournalError) as exc:
            journal.update_journal(path, 'x', 'changes', content='x\n', lock_timeout=0.5)
        assert time.monotonic() - start >= 0.5
        assert journal.lock_path(path) in str(exc.value)
        assert not os.path.exists(path), 'nothing is written without the lock'
    finally:
        release.set()
        holder.join(10)


def test_a_killed_holder_releases_the_lock(tmp_path):
    path = str(tmp_path / 'OPS_JOURNAL.md')
    ctx = multiprocessing.get_context('fork')
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_holder, args=(path, ready, release))
    holder.start()
    assert ready.wait(10)
    holder.kill()
    holder.join(10)
    result = journal.update_journal(path, 'after-kill', 'changes', content='ok\n', lock_timeout=5)
    assert result['changed'] and result['action'] == 'added'


def test_check_mode_reads_without_the_lock_and_writes_nothing(tmp_path):
    path = str(tmp_path / 'OPS_JOURNAL.md')
    result = journal.update_journal(path, 'x', 'changes', content='x\n', record={'a': 1}, check_mode=True)
    assert result['changed'] and result['action'] == 'added'
    assert not os.listdir(str(tmp_path))
