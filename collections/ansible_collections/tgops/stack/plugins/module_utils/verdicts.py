# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verdicts of the daily check, as pure functions over gathered evidence."""

from __future__ import annotations


def ps_verdict(containers, expected_services):
    """`docker compose ps` OK/FAIL: every expected service running, healthy where it has a healthcheck.

    ``containers`` are the summaries returned by compose_stack_info
    (service, name, state, health, restart_count).
    """
    notes = []
    services = {}
    ok = True
    for service in expected_services:
        mine = [c for c in containers if c.get('service') == service]
        if not mine:
            ok = False
            services[service] = 'no container'
            notes.append('%s: no container' % service)
            continue
        parts = []
        for c in mine:
            state = c.get('state') or 'unknown'
            health = c.get('health') or ''
            restarts = int(c.get('restart_count') or 0)
            text = state + (' (%s)' % health if health else '')
            if restarts:
                text += ', %d restarts' % restarts
                notes.append('%s restarted %d times' % (c.get('name', service), restarts))
            parts.append(text)
            if state != 'running' or health not in ('', 'healthy'):
                ok = False
                notes.append('%s is %s' % (c.get('name', service), text))
        services[service] = '; '.join(parts)
    return {'ok': ok, 'services': services, 'notes': notes}
