# -*- coding: utf-8 -*-
# Copyright: tgops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions behind tgops.stack.journal_entry and tgops.stack.journal_info.

The ops journal is a Markdown file kept partly by hand.  Entries written by
Ansible are wrapped in HTML comment markers::

    <!-- tgops:begin id=day-2026-11-22 -->
    ### Day 3 - 2026-11-22
    ...
    <!-- tgops:end id=day-2026-11-22 -->

Everything outside managed entries is hand-written and is kept byte for byte:
the functions below only ever insert or remove whole lines.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import errno
import fcntl
import json
import os
import re
import time

from ansible_collections.tgops.stack.plugins.module_utils.errors import utc_now
from ansible_collections.tgops.stack.plugins.module_utils.files import atomic_write

# Canonical sections, in the order they appear in a journal.
SECTIONS = (
    ('environment', 'Environment'),
    ('baseline', 'Baseline snapshot'),
    ('daily', 'Daily checks'),
    ('incidents', 'Incidents and actions'),
    ('changes', 'Changes'),
    ('backups', 'Backups'),
    ('stability', 'Stability declaration'),
)
SECTION_KEYS = tuple(key for key, dummy in SECTIONS)
SECTION_HEADINGS = dict(SECTIONS)

# Heading prefixes that also name a section in hand-made journals
# (the original journal says "## Daily checks (Day 1..14)" and "## PROD-V0 STABLE").
SECTION_ALIASES = {
    'environment': ('environment',),
    'baseline': ('baseline',),
    'daily': ('daily checks', 'daily'),
    'incidents': ('incidents', 'incident'),
    'changes': ('changes', 'changelog'),
    'backups': ('backups', 'backup'),
    'stability': ('stability', 'prod-v0 stable', 'stable'),
}

# Journal kinds (what the role is asked to write) and the section they go to.
KIND_SECTIONS = {
    'environment': 'environment',
    'baseline': 'baseline',
    'daily': 'daily',
    'incident': 'incidents',
    'runbook': 'incidents',
    'stability': 'stability',
    'deploy': 'changes',
    'migrate': 'changes',
    'rotation': 'changes',
    'backup': 'backups',
    'restore': 'backups',
}

ENTRY_ID_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._:-]*$')
BEGIN_RE = re.compile(r'^\s*<!--\s*tgops:begin\s+id=(?P<id>\S+?)\s*-->\s*$')
END_RE = re.compile(r'^\s*<!--\s*tgops:end\s+id=(?P<id>\S+?)\s*-->\s*$')
MARKER_RE = re.compile(r'<!--\s*tgops:(begin|end)\b')
HEADING_RE = re.compile(r'^(?P<hashes>#{1,2})[ \t]+(?P<text>.*?)[ \t#]*$')
FENCE_RE = re.compile(r'^\s*(```|~~~)')

DEFAULT_TITLE = 'OPS Journal'
DEFAULT_NEW_MODE = 0o600
ENCODING = 'utf-8'
ERRORS = 'surrogateescape'


class JournalError(Exception):
    """A journal that cannot be changed safely, or bad input."""


# ---------------------------------------------------------------------------
# validation and small helpers
# ---------------------------------------------------------------------------

def validate_entry_id(entry_id):
    """Raise JournalError unless entry_id is a usable stable id."""
    if not isinstance(entry_id, str) or not ENTRY_ID_RE.match(entry_id):
        raise JournalError(
            'entry_id %r is not valid: it must match %s (start with a letter or digit, then only letters, '
            'digits, ".", "_", ":" or "-"; no spaces). Use for example "day-2026-11-22" or '
            '"incident-2026-11-22T10-04Z-bot-down".' % (entry_id, ENTRY_ID_RE.pattern))
    return entry_id


def validate_section(section):
    if section not in SECTION_HEADINGS:
        raise JournalError('section %r is not known; use one of: %s' % (section, ', '.join(SECTION_KEYS)))
    return section


def section_for_kind(kind):
    """Section a journal kind is written to."""
    try:
        return KIND_SECTIONS[kind]
    except KeyError:
        raise JournalError('kind %r is not known; use one of: %s' % (kind, ', '.join(sorted(KIND_SECTIONS)))) from None


def default_jsonl_path(path):
    """<journal without .md>.jsonl"""
    base, ext = os.path.splitext(path)
    if ext.lower() in ('.md', '.markdown'):
        return base + '.jsonl'
    return path + '.jsonl'


def utc_now_iso():
    """Now, UTC, ISO-8601 with a Z suffix, second precision."""
    return utc_now().strftime('%Y-%m-%dT%H:%M:%SZ')


def detect_newline(text):
    """The newline style of a file: CRLF when its first line ends with CRLF."""
    idx = text.find('\n')
    if idx > 0 and text[idx - 1] == '\r':
        return '\r\n'
    return '\n'


def _strip_eol(line):
    if line.endswith('\r\n'):
        return line[:-2]
    if line.endswith('\n') or line.endswith('\r'):
        return line[:-1]
    return line


def _is_blank(line):
    return _strip_eol(line).strip() == ''


def match_section(heading_text):
    """Section key of a level-2 heading text, or None for a heading we do not manage."""
    text = heading_text.strip().lower()
    for key, heading in SECTIONS:
        if text == heading.lower():
            return key
    for key in SECTION_KEYS:
        for alias in SECTION_ALIASES[key]:
            if text == alias or text.startswith(alias + ' ') or text.startswith(alias + '(') or text.startswith(alias + ':'):
                return key
    return None


def normalize_content(content, newline='\n'):
    """Content as the lines of a managed entry, without trailing blank lines."""
    if content is None:
        content = ''
    if not isinstance(content, str):
        raise JournalError('content must be a string')
    if MARKER_RE.search(content):
        raise JournalError('content must not contain tgops begin/end markers ("<!-- tgops:begin" / "<!-- tgops:end")')
    lines = content.replace('\r\n', '\n').replace('\r', '\n').split('\n')
    lines = [line.rstrip() for line in lines]
    while lines and lines[-1] == '':
        lines.pop()
    while lines and lines[0] == '':
        lines.pop(0)
    return [line + newline for line in lines]


def render_entry(entry_id, content, newline='\n'):
    """The full managed block of an entry as a list of lines."""
    validate_entry_id(entry_id)
    block = ['<!-- tgops:begin id=%s -->%s' % (entry_id, newline)]
    block.extend(normalize_content(content, newline))
    block.append('<!-- tgops:end id=%s -->%s' % (entry_id, newline))
    return block


def new_journal(title=None, intro=None, newline='\n'):
    """Text of an empty journal: the title, an optional intro and every section."""
    parts = ['# %s%s' % ((title or DEFAULT_TITLE).strip(), newline), newline]
    if intro:
        parts.extend(normalize_content(intro, newline))
        parts.append(newline)
    for idx, key in enumerate(SECTION_KEYS):
        parts.append('## %s%s' % (SECTION_HEADINGS[key], newline))
        if idx < len(SECTIONS) - 1:
            parts.append(newline)
    return ''.join(parts)


# ---------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------

def _scan(lines):
    """Find headings and managed blocks.

    Returns (headings, blocks): headings is a list of dicts {line, level, text, section};
    blocks is a list of dicts {id, start, end} (line indexes, both inclusive).
    Headings inside managed blocks and inside fenced code are ignored.
    """
    headings = []
    blocks = []
    open_block = None
    in_fence = False
    seen = {}
    for idx, raw in enumerate(lines):
        line = _strip_eol(raw)
        if open_block is not None:
            end = END_RE.match(line)
            if end:
                if end.group('id') != open_block['id']:
                    raise JournalError('line %d: end marker for %r but entry %r (begun on line %d) is still open'
                                       % (idx + 1, end.group('id'), open_block['id'], open_block['start'] + 1))
                open_block['end'] = idx
                blocks.append(open_block)
                open_block = None
            elif BEGIN_RE.match(line):
                raise JournalError('line %d: begin marker inside entry %r (begun on line %d), which has no end marker'
                                   % (idx + 1, open_block['id'], open_block['start'] + 1))
            continue
        if FENCE_RE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        begin = BEGIN_RE.match(line)
        if begin:
            entry_id = begin.group('id')
            if entry_id in seen:
                raise JournalError('line %d: entry %r appears twice (first on line %d); remove one copy by hand'
                                   % (idx + 1, entry_id, seen[entry_id] + 1))
            seen[entry_id] = idx
            open_block = {'id': entry_id, 'start': idx, 'end': None}
            continue
        end = END_RE.match(line)
        if end:
            raise JournalError('line %d: end marker for %r without a begin marker' % (idx + 1, end.group('id')))
        heading = HEADING_RE.match(line)
        if heading:
            level = len(heading.group('hashes'))
            text = heading.group('text')
            headings.append({'line': idx, 'level': level, 'text': text,
                             'section': match_section(text) if level == 2 else None})
    if open_block is not None:
        raise JournalError('entry %r begun on line %d has no end marker' % (open_block['id'], open_block['start'] + 1))
    return headings, blocks


def split_lines(text):
    return text.splitlines(True)


def _section_of_line(headings, idx):
    """(section key, heading text) of the level-2 heading governing line idx."""
    current = (None, None)
    for heading in headings:
        if heading['line'] >= idx:
            break
        if heading['level'] == 2:
            current = (heading['section'], heading['text'])
        elif heading['level'] == 1:
            current = (None, None)
    return current


def parse_journal(text):
    """Parse a journal into its title, sections and managed entries.

    Returns a dict: title (str or None), sections (list of {key, heading, line}),
    entries (list of {id, section, heading, content, line}) in file order.
    ``line`` values are 1-based.
    """
    lines = split_lines(text)
    headings, blocks = _scan(lines)
    title = None
    for heading in headings:
        if heading['level'] == 1:
            title = heading['text']
            break
    sections = [{'key': h['section'], 'heading': h['text'], 'line': h['line'] + 1}
                for h in headings if h['level'] == 2]
    entries = []
    for block in blocks:
        section, heading = _section_of_line(headings, block['start'])
        body = [_strip_eol(line) for line in lines[block['start'] + 1:block['end']]]
        entries.append({
            'id': block['id'],
            'section': section,
            'heading': heading,
            'content': '\n'.join(body),
            'line': block['start'] + 1,
        })
    return {'title': title, 'sections': sections, 'entries': entries}


# ---------------------------------------------------------------------------
# editing
# ---------------------------------------------------------------------------

def _section_span(lines, headings, section):
    """(heading index, end index exclusive) of the first heading of section, or None."""
    for pos, heading in enumerate(headings):
        if heading['level'] == 2 and heading['section'] == section:
            end = len(lines)
            for later in headings[pos + 1:]:
                if later['level'] <= 2:
                    end = later['line']
                    break
            return heading['line'], end
    return None


def _ensure_eol(lines, idx, newline):
    if not lines[idx].endswith('\n') and not lines[idx].endswith('\r'):
        lines[idx] = lines[idx] + newline


def _insert_section(lines, headings, section, newline):
    """Insert the heading of a missing section at its canonical position. Returns new lines."""
    order = SECTION_KEYS.index(section)
    later = set(SECTION_KEYS[order + 1:])
    heading_line = '## %s%s' % (SECTION_HEADINGS[section], newline)
    for heading in headings:
        if heading['level'] == 2 and heading['section'] in later:
            at = heading['line']
            return lines[:at] + [heading_line, newline] + lines[at:]
    lines = list(lines)
    if lines:
        _ensure_eol(lines, len(lines) - 1, newline)
        if not _is_blank(lines[-1]):
            lines.append(newline)
    lines.append(heading_line)
    return lines


def _remove_block(lines, block):
    """Remove a managed block and the blank line that separates it from what precedes it."""
    start, end = block['start'], block['end']
    if start > 0 and _is_blank(lines[start - 1]):
        start -= 1
    elif end + 1 < len(lines) and _is_blank(lines[end + 1]):
        end += 1
    return lines[:start] + lines[end + 1:]


def _insert_entry(lines, section, block_lines, newline):
    """Insert block_lines at the end of section (which must exist)."""
    headings, dummy = _scan(lines)
    head, end = _section_span(lines, headings, section)
    last = head
    for idx in range(end - 1, head, -1):
        if not _is_blank(lines[idx]):
            last = idx
            break
    lines = list(lines)
    _ensure_eol(lines, last, newline)
    insert = [newline] + list(block_lines)
    after = last + 1
    if after < len(lines) and not _is_blank(lines[after]):
        insert.append(newline)
    return lines[:after] + insert + lines[after:]


def upsert_entry(text, entry_id, section, content, title=None, intro=None):
    """Return the journal text with entry_id holding content under section.

    text may be None (no file yet) or ''. An entry that exists in its section is
    replaced in place; one found in another section is moved; a new one is
    appended at the end of its section. A missing section is added in canonical order.
    """
    validate_entry_id(entry_id)
    validate_section(section)
    if text is None or text.strip() == '':
        text = new_journal(title, intro)
    newline = detect_newline(text)
    block_lines = render_entry(entry_id, content, newline)
    lines = split_lines(text)
    headings, blocks = _scan(lines)
    existing = [b for b in blocks if b['id'] == entry_id]
    if existing:
        block = existing[0]
        current_section = _section_of_line(headings, block['start'])[0]
        if current_section == section:
            if _strip_eol(lines[block['end']]) == lines[block['end']]:
                # the file ended right after the end marker, without a newline: keep it that way
                block_lines[-1] = _strip_eol(block_lines[-1])
            return ''.join(lines[:block['start']] + block_lines + lines[block['end'] + 1:])
        lines = _remove_block(lines, block)
        headings, blocks = _scan(lines)
    if _section_span(lines, headings, section) is None:
        lines = _insert_section(lines, headings, section, newline)
    return ''.join(_insert_entry(lines, section, block_lines, newline))


def remove_entry(text, entry_id):
    """Return the journal text without entry_id (unchanged when it is not there)."""
    validate_entry_id(entry_id)
    if not text:
        return text
    lines = split_lines(text)
    dummy, blocks = _scan(lines)
    for block in blocks:
        if block['id'] == entry_id:
            return ''.join(_remove_block(lines, block))
    return text


def build_record(kind, entry_id, section, changed, results, timestamp=None):
    """One JSON-lines record (a str ending with a newline)."""
    record = {
        'ts': timestamp or utc_now_iso(),
        'kind': kind,
        'entry_id': entry_id,
        'section': section,
        'changed': bool(changed),
        'results': results if results is not None else {},
    }
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(',', ':'), default=str) + '\n'


def parse_records(text, kind=None, entry_id=None, last=None):
    """Parse JSON-lines records; skip blank lines; filter by kind / entry_id; keep the last N.

    Returns (records, bad_lines) where bad_lines lists 1-based numbers of lines that are not JSON objects.
    """
    records = []
    bad = []
    for number, line in enumerate((text or '').splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            bad.append(number)
            continue
        if not isinstance(record, dict):
            bad.append(number)
            continue
        if kind is not None and record.get('kind') != kind:
            continue
        if entry_id is not None and record.get('entry_id') != entry_id:
            continue
        records.append(record)
    if last is not None and last >= 0:
        records = records[-last:] if last else []
    return records, bad


# ---------------------------------------------------------------------------
# file I/O (thin, but kept here so the module stays small and tests can use tmp dirs)
# ---------------------------------------------------------------------------

def read_text(path):
    """File text (utf-8, undecodable bytes kept via surrogateescape), or None if absent."""
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    return data.decode(ENCODING, ERRORS)


def read_journal(path, jsonl_path=None, section=None, kind=None, entry_id=None, last=None, records=True):
    """What journal_info returns: the journal's title, sections and managed entries (filtered by ``section`` and
    ``entry_id``) and, when ``records``, its JSON-lines records (filtered by ``kind``, ``entry_id``, ``last``).
    Missing files read as empty; raises JournalError when ``path`` is a directory, OSError when unreadable."""
    jsonl_path = jsonl_path or default_jsonl_path(path)
    result = dict(exists=False, title=None, sections=[], entries=[], jsonl_path=jsonl_path, jsonl_exists=False, records=[],
                  bad_record_lines=[])
    if os.path.isdir(path):
        raise JournalError('path %s is a directory; give the path of the journal file' % path)
    text = read_text(path)
    if text is not None:
        parsed = parse_journal(text)
        entries = parsed['entries']
        if section:
            entries = [e for e in entries if e['section'] == section]
        if entry_id:
            entries = [e for e in entries if e['id'] == entry_id]
        result.update(exists=True, title=parsed['title'], sections=parsed['sections'], entries=entries)
    if records:
        raw = read_text(jsonl_path)
        if raw is not None:
            found, bad = parse_records(raw, kind=kind, entry_id=entry_id, last=last)
            result.update(jsonl_exists=True, records=found, bad_record_lines=bad)
    return result


def ensure_dir(directory, create):
    if not directory or os.path.isdir(directory):
        return False
    if not create:
        raise JournalError('directory %s does not exist; create it or set create_dirs=true' % directory)
    os.makedirs(directory, 0o700)
    return True


def write_atomic(path, text, default_mode=DEFAULT_NEW_MODE):
    """Write the journal text atomically (files.atomic_write): an existing file keeps its mode and owner."""
    atomic_write(path, text.encode(ENCODING, ERRORS), default_mode=default_mode, keep_owner=True)


def append_line(path, line, default_mode=DEFAULT_NEW_MODE):
    """Append one line to path (created with default_mode), fsync."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, default_mode)
    try:
        os.write(fd, line.encode(ENCODING, ERRORS))
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------
# one writer at a time: read-modify-write under a lock
# ---------------------------------------------------------------------------

LOCK_TIMEOUT = 60.0


def lock_path(path):
    """The lock file of a journal: a hidden sibling that is never renamed (the journal itself is replaced on write,
    so a lock on its inode would not serialise writers)."""
    directory, name = os.path.split(os.path.abspath(path))
    return os.path.join(directory, '.%s.lock' % name)


@contextlib.contextmanager
def locked(path, timeout=LOCK_TIMEOUT, create_dirs=False):
    """Hold an exclusive flock on the journal's lock file; JournalError after ``timeout`` seconds.

    The kernel releases an flock when its holder dies, so a killed run never leaves the journal locked.
    """
    lock = lock_path(path)
    ensure_dir(os.path.dirname(lock), create_dirs)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except (IOError, OSError) as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise JournalError('another run has held the journal lock %s for %d s; wait for it to finish '
                                       '(a crashed holder releases it when its process ends)' % (lock, timeout)) from None
                time.sleep(0.05)
        yield lock
    finally:
        os.close(fd)


def entry_action(before, entry_id, section, state, changed):
    """added / updated / moved / unchanged / removed / not_present for one upsert or removal."""
    entries = {}
    if before:
        entries = dict((entry['id'], entry['section']) for entry in parse_journal(before)['entries'])
    if state == 'absent':
        return 'removed' if entry_id in entries else 'not_present'
    if entry_id not in entries:
        return 'added'
    if not changed:
        return 'unchanged'
    return 'updated' if entries[entry_id] == section else 'moved'


def update_journal(path, entry_id, section, state='present', content=None, title=DEFAULT_TITLE, intro=None, kind=None,
                   jsonl_path=None, record=None, record_always=False, timestamp=None, create_dirs=False, check_mode=False,
                   want_diff=False, lock_timeout=LOCK_TIMEOUT):
    """Upsert (or remove) one managed entry and append its JSON-lines record; what journal_entry returns.

    The read, the rewrite and the append happen under the journal's lock, so concurrent runs never lose each
    other's entries. Check mode reads only and takes no lock. Raises JournalError / OSError.
    """
    jsonl_path = jsonl_path or default_jsonl_path(path)
    result = dict(changed=False, path=path, entry_id=entry_id, section=section, jsonl_path=jsonl_path,
                  journal_changed=False, file_created=False, record_appended=False)
    validate_entry_id(entry_id)
    if os.path.isdir(path):
        raise JournalError('path %s is a directory; give the path of the journal file' % path)
    guard = contextlib.nullcontext() if check_mode else locked(path, lock_timeout, create_dirs)
    with guard:
        before = read_text(path)
        if state == 'present':
            after = upsert_entry(before, entry_id, section, content, title=title, intro=intro)
        else:
            after = remove_entry(before, entry_id)
        md_changed = after != before and not (before is None and after is None)
        append = record is not None and (md_changed or record_always)
        result.update(journal_changed=md_changed, file_created=before is None and after is not None,
                      action=entry_action(before, entry_id, section, state, md_changed), record_appended=append,
                      changed=md_changed or append)
        if want_diff:
            result['diff'] = dict(before=before or '', after=after or '', before_header=path, after_header=path)
        if not check_mode:
            if md_changed:
                ensure_dir(os.path.dirname(os.path.abspath(path)), create_dirs)
                write_atomic(path, after)
            if append:
                ensure_dir(os.path.dirname(os.path.abspath(jsonl_path)), create_dirs)
                append_line(jsonl_path, build_record(kind or section, entry_id, section, md_changed, record, timestamp))
    return result


_COMPACT_STAMP = re.compile(r'^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$')
_ISO_STAMP = re.compile(r'^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|\+00:00)?(?: UTC)?$')


def human_time(value):
    """A timestamp as a person reads it in a heading: ``2026-11-30 13:04`` (UTC implied by the caller).

    Accepts the compact stamps of archive names (``20261130T130445Z``), ISO-8601 (``2026-11-30T13:04:45Z``) and the
    human form itself; anything else is returned as it is.
    """
    text = str(value or '').strip()
    for pattern in (_COMPACT_STAMP, _ISO_STAMP):
        match = pattern.match(text)
        if match:
            year, month, day, hour, minute = match.groups()[:5]
            return '%s-%s-%s %s:%s' % (year, month, day, hour, minute)
    return text
