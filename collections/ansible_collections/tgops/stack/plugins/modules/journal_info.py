#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tgops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: journal_info
short_description: Read the managed entries and JSON-lines records of an ops journal
version_added: "0.1.0"
description:
  - Parses a Markdown ops journal written by M(tgops.stack.journal_entry) and returns its managed entries
    (id, section, content) in file order, and the records of its JSON-lines file.
  - Used for example by the daily check to count consecutive green days and to find the start of the observation.
  - A missing journal or JSON-lines file is not an error; the module then returns empty lists.
author:
  - tgops maintainers (@tgops)
options:
  path:
    description: Path of the Markdown journal on the target host.
    type: path
    required: true
  jsonl_path:
    description: Path of the JSON-lines file. Defaults to O(path) with C(.md) replaced by C(.jsonl).
    type: path
  section:
    description: Return only the entries of this section.
    type: str
    choices: [environment, baseline, daily, incidents, changes, backups, stability]
  kind:
    description: Return only the records of this kind.
    type: str
  entry_id:
    description: Return only the entry and the records with this id.
    type: str
  last:
    description: Return only the last N records (after filtering). Unset returns all.
    type: int
  records:
    description: Read the JSON-lines file.
    type: bool
    default: true
extends_documentation_fragment:
  - tgops.stack.attributes
  - tgops.stack.attributes.INFO_MODULE
seealso:
  - module: tgops.stack.journal_entry
"""

EXAMPLES = r"""
- name: Read the daily entries and the last 14 daily records
  tgops.stack.journal_info:
    path: /opt/mytgtodoist/OPS_JOURNAL.md
    section: daily
    kind: daily
    last: 14
  register: journal_state

- name: Show the ids of the daily entries
  ansible.builtin.debug:
    msg: "{{ journal_state.entries | map(attribute='id') | list }}"
"""

RETURN = r"""
exists:
  description: Whether the journal file exists.
  returned: always
  type: bool
  sample: true
title:
  description: Text of the first C(#) heading, if any.
  returned: always
  type: str
  sample: OPS Journal (prod-v0)
sections:
  description: Level-2 headings of the journal, in file order. C(key) is null for a heading the collection does not manage.
  returned: always
  type: list
  elements: dict
  sample: [{key: daily, heading: "Daily checks (Day 1..14)", line: 27}]
entries:
  description: Managed entries in file order. C(section) is null for an entry under a heading the collection does not manage.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Entry id.
      type: str
    section:
      description: Section key.
      type: str
    heading:
      description: Text of the heading the entry is under.
      type: str
    content:
      description: Body of the entry, lines joined with a newline.
      type: str
    line:
      description: 1-based line of the begin marker.
      type: int
  sample: [{id: day-2026-11-22, section: daily, heading: Daily checks, content: "### Day 3 — 2026-11-22", line: 30}]
jsonl_path:
  description: Path of the JSON-lines file.
  returned: always
  type: str
  sample: /opt/mytgtodoist/OPS_JOURNAL.jsonl
jsonl_exists:
  description: Whether the JSON-lines file exists.
  returned: always
  type: bool
  sample: true
records:
  description: JSON-lines records C({ts, kind, entry_id, section, changed, results}), oldest first, after filtering.
  returned: always
  type: list
  elements: dict
  sample: [{ts: "2026-11-22T10:04:00Z", kind: daily, entry_id: day-2026-11-22, section: daily, changed: true, results: {health: true}}]
bad_record_lines:
  description: 1-based numbers of lines of the JSON-lines file that are not JSON objects (they are skipped).
  returned: always
  type: list
  elements: int
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.tgops.stack.plugins.module_utils import journal


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            jsonl_path=dict(type='path'),
            section=dict(type='str', choices=list(journal.SECTION_KEYS)),
            kind=dict(type='str'),
            entry_id=dict(type='str'),
            last=dict(type='int'),
            records=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    path = params['path']
    try:
        result = journal.read_journal(path, params['jsonl_path'], params['section'], params['kind'], params['entry_id'],
                                      params['last'], params['records'])
    except journal.JournalError as exc:
        module.fail_json(msg='%s: %s' % (path, to_native(exc)))
    except (IOError, OSError) as exc:
        module.fail_json(msg='cannot read the journal %s: %s' % (path, to_native(exc)))
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
