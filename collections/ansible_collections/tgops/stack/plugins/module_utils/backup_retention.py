# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which backup archives to keep and which to prune (pure), and applying that to a local directory."""

from __future__ import annotations

import datetime
import os
import re

from ansible_collections.tgops.stack.plugins.module_utils.backup_manifest import iso_utc
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.files import fsync_dir

NAME_RE = re.compile(r'^(?P<stack>.+)-(?P<stamp>\d{8}T\d{6}Z)(?P<ext>\.tar\.zst|\.tar\.gz)?$')


def retention_argument_spec():
    """argument_spec entries of the retention rules (doc fragment tgops.stack.retention), shared by backup_retention and s3_backup."""
    return dict(
        stack=dict(type='str'),
        keep_last=dict(type='int', default=7),
        keep_daily=dict(type='int', default=7),
        keep_weekly=dict(type='int', default=4),
        protect=dict(type='list', elements='str', default=[]),
    )


def parse_archive_name(name):
    """{stack, created (aware UTC datetime), created_iso, ext} of ``<stack>-YYYYMMDDTHHMMSSZ[.tar.zst|.tar.gz]``, or None."""
    match = NAME_RE.match(name or '')
    if not match:
        return None
    try:
        created = datetime.datetime.strptime(match.group('stamp'), '%Y%m%dT%H%M%SZ').replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    return {'stack': match.group('stack'), 'created': created, 'created_iso': iso_utc(created), 'ext': match.group('ext')}


def _as_datetime(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    text = str(value).strip()
    if text.endswith('Z'):
        text = text[:-1] + '+00:00'
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        parsed = parse_archive_name('x-' + str(value).strip())
        return parsed['created'] if parsed else None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def _periods(items, key, count, reasons, label):
    """Keep the newest archive of each of the ``count`` most recent periods that have archives (newest first)."""
    seen = []
    for item in items:
        period = key(item['_created'])
        if period in seen:
            continue
        if len(seen) >= count:
            break
        seen.append(period)
        reasons[item['name']].append(label)


def select_prunable(archives, keep_last=1, keep_daily=0, keep_weekly=0, now=None, protect=None):
    """Split ``archives`` ([{name, created?, verified?}]) into keep and prune lists.

    ``created`` defaults to the stamp in the name (``<stack>-YYYYMMDDTHHMMSSZ``). Rules, in the spirit of
    restic/borg, counted over VERIFIED archives only (``verified`` missing counts as verified; locally an archive is
    verified when its ``.sha256`` sidecar exists, which is written only after the read-back check passed): the
    ``keep_last`` newest; the newest of each of the ``keep_daily`` most recent days that have one; the same for
    ``keep_weekly`` ISO weeks. An unverified archive never takes the place of a verified one and is pruned unless
    protected. Always kept: the names in ``protect``, archives whose date is unknown or later than ``now``, and at
    least one archive (the newest) when none is verified.
    Returns {keep, prune, reasons}; keep and prune hold names, newest first. A count below 0 raises StackError naming
    the three (the one refusal of every retention: local, in the archive's call, on S3).
    """
    if min(keep_last, keep_daily, keep_weekly) < 0:
        raise StackError('keep_last=%s, keep_daily=%s, keep_weekly=%s: a count below 0 is refused; use 0 or more '
                         '(0 turns that rule off)' % (keep_last, keep_daily, keep_weekly))
    now = _as_datetime(now) or datetime.datetime.now(datetime.timezone.utc)
    reasons = {}
    dated = []
    names = set()
    for entry in archives or []:
        name = entry['name']
        if name in names:
            continue
        names.add(name)
        reasons[name] = ['protected'] if name in (protect or []) else []
        created = _as_datetime(entry.get('created'))
        if created is None:
            parsed = parse_archive_name(name)
            created = parsed['created'] if parsed else None
        if created is None:
            reasons[name].append('date unknown')
            continue
        if created > now:
            reasons[name].append('dated in the future')
            continue
        dated.append({'name': name, '_created': created, 'verified': entry.get('verified', True)})
    dated.sort(key=lambda i: (i['_created'], i['name']), reverse=True)
    verified = [i for i in dated if i['verified']]
    for item in verified[:keep_last]:
        reasons[item['name']].append('last %d' % keep_last)
    if keep_daily:
        _periods(verified, lambda c: c.date(), keep_daily, reasons, 'daily')
    if keep_weekly:
        _periods(verified, lambda c: tuple(c.isocalendar()[:2]), keep_weekly, reasons, 'weekly')
    if verified:
        reasons[verified[0]['name']].append('newest verified')
    if dated and not any(reasons[name] for name in reasons):
        reasons[dated[0]['name']].append('never leave zero archives')
    order = [i['name'] for i in dated] + sorted(n for n in reasons if n not in set(i['name'] for i in dated))
    keep = [n for n in order if reasons[n]]
    prune = [n for n in order if not reasons[n]]
    return {'keep': keep, 'prune': prune, 'reasons': dict((n, reasons[n]) for n in keep)}


def local_archives(path, stack=None):
    """[{name, created, verified}] of the archives in directory ``path``; verified means a ``.sha256`` file sits beside it."""
    if not os.path.isdir(path):
        raise StackError('path=%s is not an existing directory; set path to the local backup directory' % path)
    found = []
    for name in sorted(os.listdir(path)):
        parsed = parse_archive_name(name)
        if parsed is None or not parsed['ext'] or not os.path.isfile(os.path.join(path, name)):
            continue
        if stack and parsed['stack'] != stack:
            continue
        found.append({'name': name, 'created': parsed['created_iso'], 'verified': os.path.isfile(os.path.join(path, name + '.sha256'))})
    return found


def apply_retention(path, prune, check_mode=False):
    """Delete the pruned archives (and their .sha256) from ``path``; return the removed file paths."""
    removed = []
    for name in prune:
        for target in (os.path.join(path, name), os.path.join(path, name + '.sha256')):
            if os.path.exists(target):
                removed.append(target)
                if not check_mode:
                    try:
                        os.unlink(target)
                    except OSError as exc:
                        raise StackError('removing %s failed: [Errno %s] %s; fix the permissions of %s'
                                         % (target, exc.errno, exc.strerror, path), removed=removed) from exc
    if removed and not check_mode:
        fsync_dir(path)
    return removed


def prune_directory(path, stack=None, keep_last=7, keep_daily=7, keep_weekly=4, protect=None, apply=True, check_mode=False,
                    planned=None):
    """The retention applied to a local directory (what backup_retention and backup_archive's ``prune`` do): list the
    archives of ``stack`` in ``path``, select (``select_prunable``) and, with ``apply``, delete the pruned ones with
    their ``.sha256`` (none in check mode). ``planned`` names an archive a real run would have written (check mode),
    counted as verified. Returns the selection with ``removed``; raises StackError naming the options or the file."""
    archives = local_archives(path, stack)
    if planned and planned not in [a['name'] for a in archives]:
        archives.append({'name': planned, 'verified': True})
    selection = select_prunable(archives, keep_last, keep_daily, keep_weekly, protect=protect)
    removed = apply_retention(path, selection['prune'], check_mode) if apply else []
    return dict(selection, removed=removed)
