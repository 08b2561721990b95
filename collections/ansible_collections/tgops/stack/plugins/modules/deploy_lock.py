#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_lock
short_description: Take or release the deploy lock of a stack on its host
version_added: 0.1.0
description:
  - A lock file created with C(O_EXCL), so two deploys (a person and an AWX job) can never both run; the second fails at once
    with who holds the lock and since when.
  - A lock older than O(stale_after) is reported as stale; it is only broken on purpose with O(break_stale=true).
  - Custom because no well-kept module offers an exclusive, self-describing lock file with stale detection.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode the lock is read and a held lock still fails, but nothing is written.
  diff_mode:
    support: none
  idempotent:
    support: partial
    details:
      - The lock is a transient file taken at the start of a run and released at its end; taking and releasing report
        RV(ignore:changed=false) so a deploy that changes nothing else reports no change. Breaking a stale lock reports a change.
options:
  path:
    description: The lock file.
    type: path
    required: true
  state:
    description: V(acquired) takes the lock, V(released) gives it back, V(absent) only reads it.
    type: str
    choices: [acquired, released, absent]
    default: acquired
  holder:
    description: Who takes the lock (user, AWX job id, playbook); shown to whoever is refused.
    type: str
    required: true
  stale_after:
    description: Seconds after which a held lock counts as stale.
    type: int
    default: 3600
  break_stale:
    description: Break a stale lock held by someone else.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Take the deploy lock
  tgops.stack.deploy_lock:
    path: /opt/mytgtodoist/.tgops-deploy.lock
    holder: "{{ lookup('ansible.builtin.env', 'USER') }} via deploy.yml"

- name: Release the deploy lock
  tgops.stack.deploy_lock:
    path: /opt/mytgtodoist/.tgops-deploy.lock
    holder: "{{ lookup('ansible.builtin.env', 'USER') }} via deploy.yml"
    state: released
"""

RETURN = r"""
lock:
  description: The lock's holder info after the call (null when released or absent).
  returned: always
  type: dict
  sample: {holder: alice via deploy.yml, since: '2026-11-22T10:04:00Z', pid: 4242}
broken:
  description: The holder info of a stale lock that was broken.
  returned: when a stale lock was broken
  type: dict
stale:
  description: Whether the lock found (with O(state=absent)) is stale.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tgops.stack.plugins.module_utils.lock import LockHeld, acquire, is_stale, read_lock, release, utc_now


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            state=dict(type='str', default='acquired', choices=['acquired', 'released', 'absent']),
            holder=dict(type='str', required=True),
            stale_after=dict(type='int', default=3600),
            break_stale=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    now = utc_now()
    try:
        current = read_lock(p['path'])
        stale = bool(current) and is_stale(current, now, p['stale_after'])
        if p['state'] == 'absent':
            module.exit_json(changed=False, lock=current, stale=stale)
        if p['state'] == 'released':
            if module.check_mode:
                module.exit_json(changed=False, lock=None, stale=False)
            release(p['path'], p['holder'])
            module.exit_json(changed=False, lock=None, stale=False)
        if module.check_mode:
            if current and current.get('holder') != p['holder'] and not (stale and p['break_stale']):
                raise LockHeld('deploy lock %s is held by %s since %s' % (p['path'], current.get('holder'), current.get('since')), current)
            module.exit_json(changed=False, lock=current, stale=stale)
        info, broken = acquire(p['path'], p['holder'], now, p['stale_after'], p['break_stale'])
    except LockHeld as exc:
        module.fail_json(msg=str(exc), lock=exc.info, stale=bool(exc.info) and is_stale(exc.info, now, p['stale_after']))
    except OSError as exc:
        module.fail_json(msg='deploy lock %s: %s; check the directory exists and is writable (path option)' % (p['path'], exc))
    result = dict(changed=broken is not None, lock=info, stale=False)
    if broken:
        result['broken'] = broken
    module.exit_json(**result)


if __name__ == '__main__':
    main()
