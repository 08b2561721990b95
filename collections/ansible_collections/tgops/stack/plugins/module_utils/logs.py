# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Log verdicts: scan the last lines of a service's logs for error patterns.

Pure functions; scan_service feeds them the lines it reads through a Docker SDK client.
"""

from __future__ import annotations

import re

from ansible_collections.tgops.stack.plugins.module_utils.docker_api import PROJECT_LABEL, SERVICE_LABEL
from ansible_collections.tgops.stack.plugins.module_utils.dotenv import read_env_values, redact, secret_values

DEFAULT_ERROR_PATTERNS = [r'Traceback \(most recent call last\)', r'\bERROR\b', r'\bCRITICAL\b', r'no such table']


def compile_patterns(patterns, option):
    """Compile regular expressions, naming the option and the pattern on error."""
    compiled = []
    for pattern in patterns or []:
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise ValueError('%s: %r is not a valid regular expression (%s); fix or escape it' % (option, pattern, exc)) from exc
    return compiled


TRACEBACK = 'Traceback (most recent call last)'


def exception_line(lines, start):
    """The exception line closing a Python traceback that begins at ``lines[start]`` (or '')."""
    for line in lines[start + 1:start + 200]:
        if line and not line[0].isspace() and not line.startswith(TRACEBACK):
            return line.rstrip('\r\n')
    return ''


def scan_lines(lines, error_patterns, allow_patterns, secrets=(), max_matches=10):
    """Return the verdict for one service's log lines.

    A line counts as an error when an error pattern matches and no allow
    pattern does. A traceback's evidence carries its exception line. Matched
    lines are redacted before they are returned.
    """
    matches = []
    count = 0
    last = ''
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip('\r\n')
        if not any(p.search(line) for p in error_patterns):
            continue
        if any(p.search(line) for p in allow_patterns):
            continue
        count += 1
        if TRACEBACK in line:
            line = '%s -> %s' % (line, exception_line(lines, number - 1) or 'no exception line')
        last = redact(line, secrets)[:500]
        if len(matches) < max_matches:
            matches.append({'line_no': number, 'line': last})
    if count:
        summary = '%d error line(s) in the last %d lines; last: %s' % (count, len(lines), last[:200])
    else:
        summary = 'no error in the last %d lines' % len(lines)
    return {
        'summary': summary,
        'lines_scanned': len(lines),
        'error_count': count,
        'matches': matches,
        'ok': count == 0,
    }


def split_log_bytes(data, tail):
    """Decode Docker log output (bytes) into at most ``tail`` lines."""
    if isinstance(data, bytes):
        data = data.decode('utf-8', errors='replace')
    lines = data.splitlines()
    return lines[-tail:] if tail else lines


def scan_service(client, project, service, tail, errors, allows, secrets, max_matches):
    """Verdict on the last ``tail`` log lines of every container of ``service`` (a Docker SDK client reads them)."""
    containers = client.containers.list(all=True, filters={'label': ['%s=%s' % (PROJECT_LABEL, project), '%s=%s' % (SERVICE_LABEL, service)]})
    lines = []
    for container in sorted(containers, key=lambda c: c.name):
        lines.extend(split_log_bytes(container.logs(tail=tail, stdout=True, stderr=True), tail))
    verdict = scan_lines(lines, errors, allows, secrets, max_matches)
    verdict['containers'] = sorted(c.name for c in containers)
    if not containers:
        verdict['ok'] = False
        verdict['summary'] = 'no container of service %s in project %s' % (service, project)
    verdict['summary'] = '%s logs: %s' % (service, verdict['summary'])
    return verdict


def secrets_from_env_files(paths, option):
    """The values to redact from log evidence: every value of the env files ``paths`` (see secret_values).

    Raises ValueError naming ``option`` when a file cannot be read.
    """
    values = []
    for path in paths:
        try:
            values.extend(read_env_values(path))
        except OSError as exc:
            raise ValueError('%s: cannot read %s (%s); fix the path or drop it from %s' % (option, path, exc, option)) from exc
    return secret_values(values)
