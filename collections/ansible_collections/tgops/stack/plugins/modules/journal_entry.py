#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tgops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: journal_entry
short_description: Upsert one managed entry in a Markdown ops journal
version_added: "0.1.0"
description:
  - Writes one entry, identified by a stable O(entry_id), into a Markdown ops journal under one of its sections.
  - Managed entries are delimited by HTML comment markers C(<!-- tgops:begin id=ID -->) and C(<!-- tgops:end id=ID -->).
    Everything outside managed entries is hand-written text and is kept byte for byte.
  - A new journal gets a title and every section, in this order
    C(## Environment), C(## Baseline snapshot), C(## Daily checks), C(## Incidents and actions), C(## Changes),
    C(## Backups) and C(## Stability declaration). A section missing from an existing journal is added at its place in that order.
    Hand-made headings such as C(## Daily checks (Day 1..14)) or C(## PROD-V0 STABLE) are recognised as their sections.
  - An entry that already exists is replaced in place; a new entry goes at the end of its section.
    When the entry already holds O(content), the file is not touched.
  - The journal is written atomically (a temporary file in the same directory, fsync, rename). An existing file keeps its mode;
    a new file gets mode C(0600).
  - Beside the journal, one JSON-lines record per run can be appended to O(jsonl_path), see O(record).
  - The module does not log its arguments on the target (the content is only written to the journal).
    Callers must never put secret values into O(content) or O(record).
author:
  - tgops maintainers (@tgops)
options:
  path:
    description: Path of the Markdown journal on the target host.
    type: path
    required: true
  entry_id:
    description:
      - Stable id of the entry, for example V(baseline), V(day-2026-11-22) or V(incident-2026-11-22T10-04Z-bot-down).
      - Must match C(^[A-Za-z0-9][A-Za-z0-9._:-]*$).
    type: str
    required: true
  section:
    description: Section the entry belongs to. An existing entry found in another section is moved.
    type: str
    required: true
    choices: [environment, baseline, daily, incidents, changes, backups, stability]
  content:
    description:
      - Rendered Markdown body of the entry. Trailing whitespace of each line and leading/trailing blank lines are dropped.
      - Must not contain tgops begin/end markers.
      - Required when O(state=present).
    type: str
  state:
    description: V(present) writes the entry, V(absent) removes only that entry.
    type: str
    choices: [present, absent]
    default: present
  title:
    description: Title (C(# ...) heading) of a journal that does not exist yet. Ignored for an existing journal.
    type: str
    default: OPS Journal
  intro:
    description: Text placed under the title of a journal that does not exist yet. Ignored for an existing journal.
    type: str
  kind:
    description: Kind written into the JSON-lines record, for example V(daily) or V(deploy). Defaults to O(section).
    type: str
  jsonl_path:
    description: Path of the JSON-lines file. Defaults to O(path) with C(.md) replaced by C(.jsonl).
    type: path
  record:
    description:
      - Results to store in the JSON-lines record, as C(results).
      - The record C({ts, kind, entry_id, section, changed, results}) is appended only when O(record) is given,
        and only when the journal entry changed or O(record_always=true), so that repeated runs stay idempotent.
    type: dict
  record_always:
    description: Append the JSON-lines record even when the journal entry did not change (the task then reports a change).
    type: bool
    default: false
  timestamp:
    description: Timestamp written as C(ts) in the record. Defaults to now, UTC, ISO-8601 with a V(Z) suffix.
    type: str
  create_dirs:
    description: Create missing parent directories (mode C(0700)) of O(path) and O(jsonl_path).
    type: bool
    default: false
  lock_timeout:
    description:
      - Seconds to wait for another run holding the journal's lock (a hidden C(.<name>.lock) file beside it) before
        failing with the lock's path. Every write reads, rewrites and appends under that lock, so concurrent runs
        never lose each other's entries. A holder that dies releases the lock with its process.
    type: float
    default: 60
extends_documentation_fragment:
  - tgops.stack.attributes
attributes:
  check_mode:
    support: full
    details:
      - Reports what would change (and the diff, in diff mode) and writes nothing.
  diff_mode:
    support: full
    details:
      - Returns the journal text before and after.
  idempotent:
    support: full
    details:
      - Writing the same content again changes nothing, unless O(record_always=true).
seealso:
  - module: tgops.stack.journal_info
notes:
  - Duplicate or unbalanced markers in the journal make the module fail with the line number, without changing the file.
"""

EXAMPLES = r"""
- name: Record the daily check of the day
  tgops.stack.journal_entry:
    path: /opt/mytgtodoist/OPS_JOURNAL.md
    entry_id: day-2026-11-22
    section: daily
    content: |
      ### Day 3 — 2026-11-22
      - `docker compose ps`: OK
      - API health: OK
    kind: daily
    record:
      compose_ps: true
      health: true

- name: Remove a mistaken entry, keep everything else
  tgops.stack.journal_entry:
    path: /opt/mytgtodoist/OPS_JOURNAL.md
    entry_id: day-2026-11-21
    section: daily
    state: absent

- name: Start a journal with its own title
  tgops.stack.journal_entry:
    path: /srv/sprint-bot/OPS_JOURNAL.md
    title: OPS Journal (sprint-bot)
    entry_id: environment
    section: environment
    content: "- Project path: `/srv/sprint-bot`"
    create_dirs: true
"""

RETURN = r"""
path:
  description: Path of the journal.
  returned: always
  type: str
  sample: /opt/mytgtodoist/OPS_JOURNAL.md
entry_id:
  description: Id of the entry.
  returned: always
  type: str
  sample: day-2026-11-22
section:
  description: Section of the entry.
  returned: always
  type: str
  sample: daily
action:
  description:
    - What happened to the entry. V(added), V(updated), V(moved), V(unchanged), V(removed) or V(not_present).
    - In check mode, what would happen.
  returned: always
  type: str
  sample: added
journal_changed:
  description: Whether the Markdown journal changed (or would change in check mode).
  returned: always
  type: bool
  sample: true
file_created:
  description: Whether the journal file did not exist before.
  returned: always
  type: bool
  sample: false
jsonl_path:
  description: Path of the JSON-lines file.
  returned: always
  type: str
  sample: /opt/mytgtodoist/OPS_JOURNAL.jsonl
record_appended:
  description: Whether a JSON-lines record was appended (or would be, in check mode).
  returned: always
  type: bool
  sample: true
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.tgops.stack.plugins.module_utils import journal


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            entry_id=dict(type='str', required=True),
            section=dict(type='str', required=True, choices=list(journal.SECTION_KEYS)),
            content=dict(type='str'),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            title=dict(type='str', default=journal.DEFAULT_TITLE),
            intro=dict(type='str'),
            kind=dict(type='str'),
            jsonl_path=dict(type='path'),
            record=dict(type='dict'),
            record_always=dict(type='bool', default=False),
            timestamp=dict(type='str'),
            create_dirs=dict(type='bool', default=False),
            lock_timeout=dict(type='float', default=journal.LOCK_TIMEOUT),
        ),
        required_if=[('state', 'present', ('content',))],
        supports_check_mode=True,
        # Do not copy the arguments (the journal content) into the target's system log.
        no_log=True,
    )
    p = module.params
    try:
        result = journal.update_journal(
            p['path'], p['entry_id'], p['section'], state=p['state'], content=p['content'], title=p['title'], intro=p['intro'],
            kind=p['kind'], jsonl_path=p['jsonl_path'], record=p['record'], record_always=p['record_always'],
            timestamp=p['timestamp'], create_dirs=p['create_dirs'], check_mode=module.check_mode, want_diff=module._diff,
            lock_timeout=p['lock_timeout'])
    except journal.JournalError as exc:
        module.fail_json(msg='%s: %s' % (p['path'], to_native(exc)))
    except (IOError, OSError) as exc:
        module.fail_json(msg='cannot update the journal %s: %s' % (p['path'], to_native(exc)))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
