# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: run_owner
short_description: Who this run is on the controller (host name, boot id, pid of the ansible-playbook process)
version_added: 0.1.0
description:
  - Returns one dict - C(host) (the controller's host name), C(boot_id) (its C(/proc/sys/kernel/random/boot_id)) and
    C(pid) (the process that runs the play, the parent of the worker evaluating this lookup).
  - M(tgops.stack.stack_lock) writes it into the stack lock, so that a later run on the same machine can tell that a
    lock's run is gone (killed, crashed, rebooted) instead of waiting for the lock to age.
"""

EXAMPLES = r"""
- name: Take the stack lock, saying who holds it
  tgops.stack.stack_lock:
    path: /opt/app/.tgops-stack.lock
    holder: alice via deploy.yml
    token: "{{ _run_token }}"
    owner: "{{ lookup('tgops.stack.run_owner') }}"
"""

RETURN = r"""
_raw:
  description: One dict with C(host), C(boot_id) and C(pid).
  type: list
  elements: dict
"""

import os
import socket

from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        try:
            with open('/proc/sys/kernel/random/boot_id') as handle:
                boot = handle.read().strip()
        except OSError:
            boot = ''
        # Task arguments are templated in a worker process forked from the ansible-playbook process.
        return [{'host': socket.gethostname(), 'boot_id': boot, 'pid': os.getppid()}]
