#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: stack_lock
short_description: Take or release the lock of a stack, which every run that changes the stack holds
version_added: 0.1.0
description:
  - One lock file per stack on its host. Deploy, migrate, production restore, secret rotation, backup and the on-call
    runbooks' actions take it, so two of them (a person and an AWX schedule) never change one stack at the same time.
    Whoever is refused is told who holds it, since when and from which process.
  - The lock appears with its content in one step (a private temp file hard-linked into place), so it is never seen
    half-written. An empty or unreadable lock younger than O(stale_after) counts as held.
  - Each run passes its own O(token); taking the lock again with the same token is a no-op (nested roles of one run),
    and release removes only a lock holding that token, atomically.
  - Stale means the holder is gone - its run's process on the same machine (host name, boot id and pid given in
    O(owner)) no longer exists, the machine rebooted since, or the lock is older than O(stale_after). A stale lock is
    only broken on purpose with O(break_stale=true); the result's RV(broken) says what was broken so the caller can
    journal it.
  - Custom because no well-kept module offers an exclusive, self-describing lock file with stale detection.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode the lock is read and a lock held by someone else still fails, but nothing is written.
  diff_mode:
    support: none
  idempotent:
    support: partial
    details:
      - The lock is a transient file taken at the start of a run and released at its end; taking and releasing report
        RV(ignore:changed=false) so a run that changes nothing else reports no change. Breaking a stale lock reports a change.
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
    default: ""
  token:
    description: This run's identity (random, one per run); required to take or release.
    type: str
  owner:
    description: The run's process on the controller (C(host), C(boot_id), C(pid)), as the M(tgops.stack.run_owner) lookup gives it.
    type: dict
  stale_after:
    description: Seconds after which a held lock counts as stale whatever its owner.
    type: int
    default: 7200
  break_stale:
    description: Break a stale lock held by someone else.
    type: bool
    default: false
  wait:
    description: Seconds to wait for a lock held by someone else before failing (0 fails at once).
    type: int
    default: 0
"""

EXAMPLES = r"""
- name: Take the stack lock (a backup waits up to 10 minutes for a running deploy)
  tgops.stack.stack_lock:
    path: /opt/mytgtodoist/.tgops-stack.lock
    holder: "{{ lookup('ansible.builtin.env', 'USER') }} via backup.yml"
    token: "{{ _run_token }}"
    owner: "{{ lookup('tgops.stack.run_owner') }}"
    wait: 600

- name: Release the stack lock
  tgops.stack.stack_lock:
    path: /opt/mytgtodoist/.tgops-stack.lock
    token: "{{ _run_token }}"
    state: released
"""

RETURN = r"""
lock:
  description: The lock's holder info after the call (null when released or absent).
  returned: always
  type: dict
  sample: {holder: alice via deploy.yml, since: '2026-11-22T10:04:00Z', pid: 4242, host: vps-1, token: 3f9c1e}
status:
  description: V(taken), V(held-by-us) (already ours), V(released), V(none) or, with O(state=absent), V(held) / V(free).
  returned: always
  type: str
stale:
  description: Why the lock found is stale (empty when its holder may still run).
  returned: always
  type: str
broken:
  description: The holder info of a stale lock that was broken, with the reason in C(stale).
  returned: when a stale lock was broken
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tgops.stack.plugins.module_utils.errors import utc_now
from ansible_collections.tgops.stack.plugins.module_utils.lock import LockHeld, acquire, read_lock, release, stale_reason


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            state=dict(type='str', default='acquired', choices=['acquired', 'released', 'absent']),
            holder=dict(type='str', default=''),
            token=dict(type='str', no_log=False),
            owner=dict(type='dict'),
            stale_after=dict(type='int', default=7200),
            break_stale=dict(type='bool', default=False),
            wait=dict(type='int', default=0),
        ),
        required_if=[('state', 'acquired', ('token',)), ('state', 'released', ('token',))],
        supports_check_mode=True,
    )
    p = module.params
    now = utc_now()
    try:
        current, mtime = read_lock(p['path'])
        stale = stale_reason(current, mtime, now, p['stale_after']) if current else ''
        if p['state'] == 'absent':
            module.exit_json(changed=False, lock=current, stale=stale, status='held' if current else 'free')
        if p['state'] == 'released':
            removed = False if module.check_mode else release(p['path'], p['token'])
            module.exit_json(changed=False, lock=None, stale='', status='released' if removed else 'none')
        if module.check_mode:
            if current and current.get('token') != p['token'] and not (stale and p['break_stale']):
                raise LockHeld('stack lock %s is held by %s since %s' % (p['path'], current.get('holder'), current.get('since')), current, stale)
            module.exit_json(changed=False, lock=current, stale=stale, status='held-by-us' if current else 'none')
        info, status, broken = acquire(p['path'], p['holder'], p['token'], now, p['stale_after'], p['break_stale'],
                                       owner=p['owner'], wait=p['wait'])
    except LockHeld as exc:
        module.fail_json(msg=str(exc), lock=exc.info, stale=exc.stale, status='held')
    except OSError as exc:
        module.fail_json(msg='stack lock %s: %s; check that its directory exists and is writable (path option)' % (p['path'], exc))
    result = dict(changed=broken is not None, lock=info, stale='', status=status)
    if broken:
        result['broken'] = broken
    module.exit_json(**result)


if __name__ == '__main__':
    main()
