# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build and verify one backup archive (tar + zstd or gzip), streaming: memory does not grow with the data.

Layout of an archive: the members in the order given, then ``env.redacted``
(when an env file is given), then ``manifest.json`` as the LAST member, so the
sizes and sha256 of all members are known when it is written and no second
pass over the data is needed. ``<archive>.sha256`` (``sha256sum`` format)
sits beside the archive.

One pass over the data: each member is hashed while tar reads it, and the
compressed stream is hashed and counted while it is written (``_CountingSink``),
so the ``.sha256`` needs no second read of the archive. Before its rename the
written temp file (``.<archive>.<random>.partial``, held under an exclusive
``flock`` while it is written) is checked against what was written: the
compressor's exit status, the bytes on disk against the bytes counted after
fsync. ``read_back=True``
adds a full read-back (decompress, hash every member, compare with the manifest)
for those who want it; the explicit restore verification (backup_verify) stays.
The ``.sha256`` sidecar is written last, so a sidecar marks an archive that
passed these checks (retention counts only those). A run killed with SIGKILL
leaves its temp file unlocked; the next run removes every such file
(``clean_stale_partials``) while a live writer's file stays locked.

``read_archive`` (the streamed read shared with the read-back) is here; verifying an existing archive and extracting
it (the backup_verify module) is in backup_verify.py.
"""

from __future__ import annotations

import errno
import fcntl
import gzip
import hashlib
import io
import os
import subprocess
import tarfile
import tempfile
import threading
import time
import zlib

from ansible_collections.tgops.stack.plugins.module_utils.backup_manifest import (
    CHUNK_SIZE,
    DATA_MODE,
    MANIFEST_NAME,
    MAX_MANIFEST_BYTES,
    build_manifest,
    commit_partial,
    compare_members,
    format_sha256_line,
    fsync_dir,
    manifest_bytes,
    os_error_message,
    parse_manifest,
    parse_sha256_line,
    partial_path,
    remove_quietly,
    safe_member_name,
    utc_now,
)
from ansible_collections.tgops.stack.plugins.module_utils.backup_retention import (
    parse_archive_name,
    prune_directory,
    retention_argument_spec,
)
from ansible_collections.tgops.stack.plugins.module_utils.backup_staging import point_latest, remove
from ansible_collections.tgops.stack.plugins.module_utils.dotenv import redact_dotenv
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.progress import DEFAULT_EVERY_MIB, TransferProgress

try:
    import zstandard
except ImportError:  # pragma: no cover - depends on the managed host
    zstandard = None

ENV_MEMBER = 'env.redacted'
RESERVED_NAMES = (MANIFEST_NAME, ENV_MEMBER)
EXTENSIONS = {'zstd': '.tar.zst', 'gzip': '.tar.gz'}
# Block size of the tar stream (tarfile's default is 10 KiB: ~100,000 reads and writes per GiB; 1 MiB halves a verify).
STREAM_BUFSIZE = 1 << 20
ZSTD_MAGIC = b'\x28\xb5\x2f\xfd'
GZIP_MAGIC = b'\x1f\x8b'


# ---------------------------------------------------------------------------
# pure helpers
# ---------------------------------------------------------------------------

def choose_compression(requested, zstd_cli=None, has_zstandard=False):
    """(compression, tool) for ``requested`` (auto|zstd|gzip); tool is zstd-cli, python-zstandard or python-gzip."""
    if requested == 'gzip':
        return 'gzip', 'python-gzip'
    if zstd_cli:
        return 'zstd', 'zstd-cli'
    if has_zstandard:
        return 'zstd', 'python-zstandard'
    if requested == 'zstd':
        raise StackError('compression=zstd: neither the zstd CLI nor the python zstandard package is on the managed host; '
                         'install zstd (apt-get install zstd) or set compression=auto or gzip')
    return 'gzip', 'python-gzip'


def archive_filename(name, compression):
    return name + EXTENSIONS[compression]


def compression_of_name(filename):
    """zstd / gzip from an archive file name, None when it is neither."""
    for compression, ext in EXTENSIONS.items():
        if filename.endswith(ext):
            return compression
    return None


def compression_of_magic(head):
    if head.startswith(ZSTD_MAGIC):
        return 'zstd'
    if head.startswith(GZIP_MAGIC):
        return 'gzip'
    return None


def validate_name(name):
    if not name or '/' in name or name.startswith('.') or '\x00' in name:
        raise StackError('name=%r is not a plain file name stem; use something like todo-20261122T060000Z' % (name,))
    return name


def parse_mode(mode):
    """'0600', '600', 0o600 or 384 -> 0o600; raise StackError otherwise."""
    if isinstance(mode, int):
        value = mode
    else:
        text = str(mode).strip().lower()
        if text.startswith('0o'):
            text = text[2:]
        try:
            value = int(text, 8)
        except ValueError:
            value = -1
    if not 0 <= value <= 0o777:
        raise StackError('mode=%r is not an octal file mode; use a quoted string such as "0600"' % (mode,))
    return value


def expand_members(members):
    """[{src, name, size, mtime}] of every regular file of ``members`` ({src, arcname}); directories are recursed (sorted).

    Symlinks inside directories are skipped and returned in the second value.
    """
    files = []
    skipped = []
    seen = set()
    for index, member in enumerate(members or []):
        src = (member or {}).get('src')
        if not src:
            raise StackError('members[%d] has no src; give each member as {src: PATH, arcname: NAME}' % index)
        src = os.path.abspath(os.path.expanduser(src))
        arcname = member.get('arcname') or os.path.basename(src.rstrip('/'))
        try:
            arcname = safe_member_name(arcname)
        except ValueError as exc:
            raise StackError('members[%d].arcname: %s; use a relative name without ..' % (index, exc)) from exc
        if os.path.isdir(src):
            pairs = []
            for root, dirs, names in os.walk(src):
                dirs.sort()
                for fname in sorted(names):
                    full = os.path.join(root, fname)
                    rel = os.path.relpath(full, src).replace(os.sep, '/')
                    if os.path.islink(full) or not os.path.isfile(full):
                        skipped.append(full)
                        continue
                    pairs.append((full, arcname + '/' + rel))
        elif os.path.isfile(src):
            pairs = [(src, arcname)]
        else:
            raise StackError('members[%d].src=%s does not exist (or is not a file or directory); fix the path' % (index, src))
        for full, name in pairs:
            if name in RESERVED_NAMES or name in seen:
                raise StackError('members[%d]: archive member name %s is used twice or reserved (%s); set another arcname'
                                 % (index, name, ', '.join(RESERVED_NAMES)))
            seen.add(name)
            stat = os.stat(full)
            files.append({'src': full, 'name': name, 'size': stat.st_size, 'mtime': int(stat.st_mtime)})
    return files, skipped


class HashingReader:
    """File wrapper that hashes and counts what is read through it."""

    def __init__(self, handle, progress=None, digest=None):
        self.handle = handle
        self.digest = hashlib.sha256() if digest is None else digest
        self.size = 0
        self.progress = progress

    def read(self, size=-1):
        block = self.handle.read(size)
        self.digest.update(block)
        self.size += len(block)
        if self.progress is not None:
            self.progress(len(block))
        return block

    def hexdigest(self):
        return self.digest.hexdigest()


class _CountingSink:
    """File wrapper that hashes and counts what is written through it (the compressed stream, on its way to disk)."""

    def __init__(self, raw):
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data):
        self.raw.write(data)
        self.digest.update(data)
        self.size += len(data)
        return len(data)

    def flush(self):
        self.raw.flush()

    def fileno(self):
        return self.raw.fileno()

    def close(self):
        self.raw.close()

    def hexdigest(self):
        return self.digest.hexdigest()


def _tarinfo(name, size, mtime):
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = DATA_MODE
    info.type = tarfile.REGTYPE
    info.uid = info.gid = 0
    info.uname = info.gname = ''
    return info


def default_opener(path):
    return open(path, 'wb')


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------

class _Compressor:
    """Where the tar stream goes: the zstd CLI's stdin, or a python compressor; either way into ``opener(path)``
    through a ``_CountingSink``, so the compressed bytes are hashed and counted on their way to disk."""

    def __init__(self, tool, path, zstd_cli=None, opener=default_opener):
        self.tool = tool
        self.proc = None
        self.cmd = None
        self.stderr = None
        self.pump = None
        self.pump_error = None
        self.sink = _CountingSink(opener(path))
        if tool == 'zstd-cli':
            # zstd writes to a pipe we read, hash and write on (a thread, so neither side of zstd blocks).
            self.cmd = [zstd_cli, '-q', '-T0', '-3', '-c']
            self.stderr = tempfile.TemporaryFile()
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr)
            self.stream = self.proc.stdin
            self.pump = threading.Thread(target=self._pump, name='zstd-output', daemon=True)
            self.pump.start()
        elif tool == 'python-zstandard':
            self.stream = zstandard.ZstdCompressor(level=3, threads=-1).stream_writer(self.sink, closefd=False)
        else:
            self.stream = gzip.GzipFile(fileobj=self.sink, mode='wb', compresslevel=6, mtime=0)

    def _pump(self):
        try:
            while True:
                block = self.proc.stdout.read1(STREAM_BUFSIZE)
                if not block:
                    break
                self.sink.write(block)
        except BaseException as exc:  # pylint: disable=broad-except  # reported by finish()/failure()
            self.pump_error = exc
            self.proc.kill()  # its writes would block for ever; the tar side then sees a broken pipe

    def stderr_text(self):
        if self.stderr is None:
            return ''
        self.stderr.seek(0)
        return self.stderr.read(65536).decode('utf-8', 'replace').strip()

    def finish(self):
        """Flush, fsync and close; return (sha256 hex, bytes) of what was written, or raise StackError/OSError."""
        self.stream.close()
        if self.proc is not None:
            rc = self.proc.wait()
            self.pump.join()
            self.proc.stdout.close()
            if self.pump_error is not None:
                raise self.pump_error
            if rc != 0:
                raise _cli_error(self.cmd, rc, self.stderr_text())
        self.sink.flush()
        os.fsync(self.sink.fileno())
        self.sink.close()
        return self.sink.hexdigest(), self.sink.size

    def failure(self, exc):
        """Stop everything after ``exc``; return the exception that says what really went wrong."""
        for closer in (getattr(self.stream, 'close', None), self.sink.close):
            try:
                if closer:
                    closer()
            except Exception:  # pylint: disable=broad-except  # best effort while failing
                pass
        if self.proc is None:
            return exc
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.pump.join()
        self.proc.stdout.close()
        if self.pump_error is not None:
            return self.pump_error  # writing the compressed stream failed (ENOSPC...): that is the cause
        if isinstance(exc, OSError):  # a broken pipe: the CLI died, its stderr says why
            return _cli_error(self.cmd, self.proc.returncode, self.stderr_text())
        return exc

    def close_stderr(self):
        if self.stderr is not None:
            self.stderr.close()


def _cli_error(cmd, rc, stderr):
    code = errno.ENOSPC if 'No space left' in (stderr or '') else None
    exc = OSError(code, stderr or 'exit code %s' % rc) if code else None
    return StackError('%s failed (rc=%s): %s' % (os.path.basename(cmd[0]), rc, stderr or 'no output'),
                      cmd=cmd, rc=rc, stdout='', stderr=stderr, os_error=exc)


def is_partial_name(filename):
    """A temp file of an archive or sidecar being written: ``.<name>.tar.(zst|gz)[.sha256].<random>.partial`` (or an old fixed
    ``<name>.tar.(zst|gz)[.sha256].partial``)."""
    if not filename.endswith('.partial'):
        return False
    return any(ext in filename for ext in EXTENSIONS.values())


def locked_partial(dest):
    """(path, fd) of a new per-run temp file beside ``dest``, held under an exclusive flock until ``fd`` is closed.

    The lock dies with the process (SIGKILL included), which is how ``clean_stale_partials`` tells a dead run's temp
    file from a live one. A cleaner that removed the file between its creation and the lock is detected and retried.
    """
    for _attempt in range(5):
        tmp = partial_path(dest)
        fd = os.open(tmp, os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.fstat(fd).st_ino == os.stat(tmp).st_ino:
                return tmp, fd
        except OSError:
            pass
        os.close(fd)
    raise StackError('could not create a temp file beside %s that stays ours; another process removes files there' % dest)


def clean_stale_partials(dest_dir):
    """Remove the archive temp files in ``dest_dir`` that no live process holds (a run killed mid-archive); return their paths."""
    removed = []
    try:
        names = os.listdir(dest_dir)
    except OSError:
        return removed
    for filename in sorted(names):
        path = os.path.join(dest_dir, filename)
        if not is_partial_name(filename) or not os.path.isfile(path) or os.path.islink(path):
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live run is writing it
            try:
                os.unlink(path)
                removed.append(path)
            except OSError:
                pass
        finally:
            os.close(fd)
    if removed:
        fsync_dir(dest_dir)
    return removed


def check_written(path, size_written):
    """Problems between the temp file and what the one pass wrote: the bytes on disk (after fsync) against the bytes
    counted on their way to it."""
    on_disk = os.path.getsize(path)
    if on_disk != size_written:
        return ['%d bytes on disk but %d were written' % (on_disk, size_written)]
    return []


def verify_written(path, manifest, zstd_cli=None, has_zstandard=None):
    """Problems found reading back the archive just written at ``path`` against the manifest it was written with."""
    read_manifest, seen, problems, _compression = read_archive(path, None, zstd_cli, has_zstandard)
    if read_manifest is None:
        return problems or ['no manifest.json could be read back']
    if read_manifest != manifest:
        problems.append('the manifest read back differs from the one written')
    problems.extend(compare_members(manifest['members'], seen))
    return problems


def create_archive(dest_dir, name, members, env_file=None, metadata=None, compression='auto', mode=DATA_MODE,
                   zstd_cli=None, has_zstandard=None, opener=default_opener, now=None, check_mode=False, verify=True,
                   progress_mib=DEFAULT_EVERY_MIB, read_back=False):
    """Write ``<dest_dir>/<name>.tar.(zst|gz)`` and its ``.sha256``; return the result dict.

    ``opener(path)`` returns the binary file object the compressed stream is written to (tests inject failures
    such as ENOSPC through it). The data is read once: members are hashed while archived, the compressed stream while
    written. With ``verify`` the written temp file is checked against what was written (``check_written``) before it is
    renamed, and with ``read_back`` also read back in full and checked against its manifest; the ``.sha256`` sidecar is
    written after that. On any failure the temp files are removed and StackError
    is raised. Temp files of earlier runs that were killed are removed first (``stale_removed``). ``result['progress']`` has
    a line every ``progress_mib`` MiB of member data archived.
    """
    started = time.time()
    if has_zstandard is None:
        has_zstandard = zstandard is not None
    dest_dir = os.path.abspath(os.path.expanduser(dest_dir))
    if not os.path.isdir(dest_dir):
        raise StackError('dest_dir=%s is not an existing directory; create it first (ansible.builtin.file state=directory mode=0700)' % dest_dir)
    validate_name(name)
    mode = parse_mode(mode)
    compression, tool = choose_compression(compression, zstd_cli, has_zstandard)
    files, skipped = expand_members(members)
    env_data = None
    if env_file:
        try:
            with open(env_file, 'rb') as handle:
                env_data = redact_dotenv(handle.read().decode('utf-8', 'replace')).encode('utf-8')
        except OSError as exc:
            raise StackError('env_file=%s cannot be read (%s); fix the path or drop env_file' % (env_file, exc)) from exc
    archive = os.path.join(dest_dir, archive_filename(name, compression))
    sha_path = archive + '.sha256'
    result = {'archive': archive, 'sha256_file': sha_path, 'compression': compression, 'compressor': tool,
              'skipped': skipped, 'changed': True}
    if os.path.exists(archive) and os.path.exists(sha_path):
        try:
            with open(sha_path, encoding='utf-8') as handle:
                digest = parse_sha256_line(handle.read())[0]
        except (OSError, ValueError) as exc:
            raise StackError('archive %s exists but its %s is unreadable (%s); remove both or choose another name' % (archive, sha_path, exc)) from exc
        result.update(changed=False, size_bytes=os.path.getsize(archive), sha256=digest, manifest=None,
                      duration_s=round(time.time() - started, 3), msg='archive already exists; nothing written')
        return result
    if check_mode:
        result.update(size_bytes=None, sha256=None, manifest=None, duration_s=round(time.time() - started, 3),
                      members_planned=[{'name': f['name'], 'size': f['size']} for f in files]
                      + ([{'name': ENV_MEMBER, 'size': len(env_data)}] if env_data is not None else []))
        return result

    stale_removed = clean_stale_partials(dest_dir)
    tmp, lock_fd = locked_partial(archive)
    sha_tmp = None
    committed = False
    comp = None
    try:
        comp = _Compressor(tool, tmp, zstd_cli, opener)
        archived = TransferProgress('archive %s' % os.path.basename(archive), sum(f['size'] for f in files), progress_mib)
        entries = []
        with tarfile.open(fileobj=comp.stream, mode='w|', format=tarfile.PAX_FORMAT, bufsize=STREAM_BUFSIZE) as tar:
            tar.copybufsize = STREAM_BUFSIZE
            for item in files:
                with open(item['src'], 'rb') as handle:
                    reader = HashingReader(handle, archived)
                    tar.addfile(_tarinfo(item['name'], item['size'], item['mtime']), reader)
                entries.append({'name': item['name'], 'size': reader.size, 'sha256': reader.hexdigest()})
            stamp = int(time.time())
            if env_data is not None:
                reader = HashingReader(io.BytesIO(env_data))
                tar.addfile(_tarinfo(ENV_MEMBER, len(env_data), stamp), reader)
                entries.append({'name': ENV_MEMBER, 'size': reader.size, 'sha256': reader.hexdigest()})
            manifest = build_manifest(entries, metadata, now or utc_now())
            data = manifest_bytes(manifest)
            tar.addfile(_tarinfo(MANIFEST_NAME, len(data), stamp), io.BytesIO(data))
        digest, size = comp.finish()
        if verify:
            problems = check_written(tmp, size)
            if read_back and not problems:
                problems = verify_written(tmp, manifest, zstd_cli, has_zstandard)
            if problems:
                raise StackError('the archive written to %s failed its verification (%s); it was removed, nothing was kept and no '
                                 '.sha256 was written' % (tmp, '; '.join(problems[:3])), problems=problems)
        commit_partial(tmp, archive, mode)
        tmp = None
        committed = True
        # The sidecar marks a verified archive: written only now, after the read-back check passed.
        sha_tmp = partial_path(sha_path)
        with open(sha_tmp, 'w', encoding='utf-8') as handle:
            handle.write(format_sha256_line(digest, os.path.basename(archive)))
        commit_partial(sha_tmp, sha_path, mode)
        sha_tmp = None
        committed = False
    except BaseException as exc:
        if comp is not None:
            exc = comp.failure(exc)
        remove_quietly(tmp, sha_tmp)
        if committed:
            remove_quietly(archive)  # renamed but its sidecar could not be written: not verified, not kept
        if isinstance(exc, StackError):
            os_error = exc.details.pop('os_error', None)
            if os_error is not None:
                exc.msg = '%s; %s' % (os_error_message('writing archive %s in dest_dir' % os.path.basename(archive), dest_dir, os_error),
                                      exc.msg)
            raise StackError('%s; free space in %s or choose another dest_dir; no partial archive was left behind'
                             % (exc.msg, dest_dir), **exc.details) from None
        if isinstance(exc, OSError):
            raise StackError('%s; free space (or fix permissions) in %s or choose another dest_dir; no partial archive was left behind'
                             % (os_error_message('writing archive %s in dest_dir' % os.path.basename(archive), dest_dir, exc), dest_dir),
                             errno=exc.errno) from exc
        raise
    finally:
        if comp is not None:
            comp.close_stderr()
        os.close(lock_fd)
    result.update(size_bytes=size, sha256=digest, manifest=manifest, verified=bool(verify), read_back=bool(verify and read_back),
                  stale_removed=stale_removed,
                  duration_s=round(time.time() - started, 3), progress=archived.finish(), transfers=[archived.line()])
    return result


def archive_and_finish(dest_dir, name, members, set_latest=False, staging=None, retention=None, check_mode=False, **kwargs):
    """``create_archive``, then the housekeeping that follows it in one call: point ``latest.tar.(zst|gz)`` in
    ``dest_dir`` at the archive (``set_latest``), remove this run's ``staging`` directory - on success and on failure,
    so a failed run leaves no copy of the DB behind - and, with ``retention`` ({keep_last, keep_daily, keep_weekly,
    stack, protect}), prune ``dest_dir``'s archives of that stack beyond it (``select_prunable``; the new archive is
    always kept). ``steps`` says what was done, in order.

    A failure after the archive was written (the link, the removal, the pruning) raises StackError naming the step,
    with the archive's fields in its details (the archive is kept: verified, with its ``.sha256``); a failure while
    building raises create_archive's error with ``staging_removed`` added (no ``archive`` key: nothing was kept).
    """
    steps = []
    try:
        result = create_archive(dest_dir, name, members, check_mode=check_mode, **kwargs)
    except StackError as exc:
        exc.details.update(steps=steps, **_remove_staging(dest_dir, staging, check_mode, steps, failing=True))
        raise
    done = 'would write' if check_mode else ('wrote and verified' if result['changed'] else 'kept the existing')
    steps.append('%s %s' % (done, result['archive']))
    result.update(latest=None, staging_removed=None, steps=steps)
    kept = {key: result.get(key) for key in ('archive', 'sha256_file', 'sha256', 'size_bytes', 'compression')}
    try:
        if set_latest:
            link_name = archive_filename('latest', result['compression'])
            moved = point_latest(os.path.dirname(result['archive']), os.path.basename(result['archive']), link_name,
                                 check_mode=check_mode)
            result['latest'] = os.path.join(os.path.dirname(result['archive']), link_name)
            steps.append('%s %s at it' % (('would point' if check_mode else 'pointed') if moved else 'kept', link_name))
            result['changed'] = result['changed'] or moved
    except StackError as exc:
        exc.details.update(steps=steps, **kept)
        exc.details.update(_remove_staging(dest_dir, staging, check_mode, steps, failing=True))
        exc.msg = '%s; the archive %s is kept (verified, with its .sha256)' % (exc.msg, result['archive'])
        raise
    try:
        result.update(_remove_staging(dest_dir, staging, check_mode, steps))
        if retention is not None:
            result['retention'] = _prune(os.path.dirname(result['archive']), os.path.basename(result['archive']), retention,
                                         check_mode, steps)
            result['changed'] = result['changed'] or bool(result['retention']['removed'])
    except StackError as exc:
        exc.details.update(steps=steps, latest=result['latest'], staging_removed=result['staging_removed'], **kept)
        exc.msg = '%s; the archive %s is kept (verified, with its .sha256)%s' % (
            exc.msg, result['archive'], ' and %s points at it' % os.path.basename(result['latest']) if result['latest'] else '')
        raise
    return result


def _prune(directory, archive_name, rules, check_mode, steps):
    """The local retention after a new archive (backup_retention.prune_directory), the new archive protected."""
    options = dict((key, spec.get('default')) for key, spec in retention_argument_spec().items())
    options.update(rules)
    stack = options['stack'] or (parse_archive_name(archive_name) or {}).get('stack')
    try:
        outcome = prune_directory(directory, stack, options['keep_last'], options['keep_daily'], options['keep_weekly'],
                                  protect=[archive_name] + list(options['protect'] or []), check_mode=check_mode,
                                  planned=archive_name)
    except StackError as exc:
        exc.details.update(step='prune the local archives')
        raise
    steps.append('%s %d old archive(s) of %s beyond the retention, kept %d'
                 % ('would prune' if check_mode else 'pruned', len(outcome['prune']), stack, len(outcome['keep'])))
    return outcome


def _remove_staging(dest_dir, staging, check_mode, steps, failing=False):
    """Remove this run's staging directory; on the way out of a failure, a second failure is only reported."""
    if not staging:
        return {'staging_removed': None}
    try:
        outcome = remove(dest_dir, staging, check_mode=check_mode)
    except StackError as exc:
        if not failing:
            raise
        steps.append('could not remove the staging directory %s: %s' % (staging, exc.msg))
        return {'staging_removed': None}
    steps.extend(outcome['steps'] if not check_mode else ['would remove the staging directory %s' % staging])
    return {'staging_removed': None if check_mode else staging}


# ---------------------------------------------------------------------------
# reading (by the read-back here and by backup_verify.verify_archive)
# ---------------------------------------------------------------------------

class _Decompressed:
    """A readable stream of the decompressed tar, from python zstandard/gzip or the zstd CLI.

    With ``raw_hash`` (a hashlib object) every byte of the compressed file goes through it on the way in, to the end
    of the file (``finish`` drains what the decompressor left), so the file's checksum needs no second read.
    """

    def __init__(self, path, compression, zstd_cli=None, has_zstandard=None, raw_hash=None):
        if has_zstandard is None:
            has_zstandard = zstandard is not None
        self.raw = open(path, 'rb')
        self.source = self.raw if raw_hash is None else HashingReader(self.raw, digest=raw_hash)
        self.proc = None
        self.stderr = None
        self.cmd = None
        self.feeder = None
        self.stopping = False
        if compression == 'gzip':
            self.stream = gzip.GzipFile(fileobj=self.source, mode='rb')
        elif has_zstandard:
            self.stream = zstandard.ZstdDecompressor().stream_reader(self.source, read_across_frames=True, closefd=False)
        elif zstd_cli:
            self.cmd = [zstd_cli, '-q', '-dc']
            self.stderr = tempfile.TemporaryFile()
            if raw_hash is None:
                self.proc = subprocess.Popen(self.cmd, stdin=self.raw, stdout=subprocess.PIPE, stderr=self.stderr)
            else:
                self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr)
                self.feeder = threading.Thread(target=self._feed, name='zstd-input', daemon=True)
                self.feeder.start()
            self.stream = self.proc.stdout
        else:
            self.raw.close()
            raise StackError('archive %s is zstd-compressed but neither the zstd CLI nor the python zstandard package is on the '
                             'managed host; install zstd' % path)

    def _feed(self):
        """Read the file through the hash into the CLI's stdin; if the CLI stops reading, keep hashing to the end."""
        sink = self.proc.stdin
        try:
            while not self.stopping:
                block = self.source.read(STREAM_BUFSIZE)
                if not block:
                    break
                if sink is not None:
                    try:
                        sink.write(block)
                    except OSError:  # the CLI died (corrupt input): finish() reports its stderr
                        sink = None
        finally:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def finish(self):
        """Drain, close; return an error text from the CLI or None."""
        error = None
        if self.proc is not None:
            while self.stream.read(CHUNK_SIZE):
                pass
            rc = self.proc.wait()
            if self.feeder is not None:
                self.feeder.join()
            if rc != 0:
                self.stderr.seek(0)
                error = 'zstd -dc failed (rc=%s): %s' % (rc, self.stderr.read(4096).decode('utf-8', 'replace').strip())
        if self.source is not self.raw:
            while self.source.read(CHUNK_SIZE):
                pass
        return error

    def close(self):
        for closer in (self.stream.close, self.raw.close):
            try:
                closer()
            except Exception:  # pylint: disable=broad-except
                pass
        self.stopping = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.feeder is not None:
            self.feeder.join()
        if self.stderr is not None:
            self.stderr.close()


def _hash_member(tar, member, target):
    """(size, sha256) of a tar member's data; also written to ``target`` when given."""
    digest = hashlib.sha256()
    size = 0
    source = tar.extractfile(member)
    out = None
    if target is not None:
        os.makedirs(os.path.dirname(target), 0o700, exist_ok=True)
        out = os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, DATA_MODE), 'wb')
    try:
        while True:
            block = source.read(CHUNK_SIZE)
            if not block:
                break
            digest.update(block)
            size += len(block)
            if out is not None:
                out.write(block)
    finally:
        if out is not None:
            out.close()
    return size, digest.hexdigest()


def read_archive(archive, extract_dir=None, zstd_cli=None, has_zstandard=None, raw_hash=None):
    """Stream the archive: return (manifest or None, seen {name: (size, sha256)}, problems, compression).

    ``raw_hash`` (a hashlib object) is fed every byte of the archive file in the same pass.
    """
    problems = []
    seen = {}
    manifest = None
    manifest_data = None
    with open(archive, 'rb') as handle:
        head = handle.read(4)
    compression = compression_of_magic(head)
    if compression is None:
        return None, seen, ['archive %s is neither zstd nor gzip compressed (first bytes %s)' % (archive, head.hex() or 'none')], None
    stream = _Decompressed(archive, compression, zstd_cli, has_zstandard, raw_hash)
    try:
        try:
            with tarfile.open(fileobj=stream.stream, mode='r|', bufsize=STREAM_BUFSIZE) as tar:
                tar.copybufsize = STREAM_BUFSIZE
                for member in tar:
                    try:
                        name = safe_member_name(member.name)
                    except ValueError as exc:
                        problems.append('unsafe member refused: %s' % exc)
                        continue
                    if member.isdir():
                        continue
                    if not member.isfile():
                        problems.append('member %s is not a regular file (type %r); refused' % (name, member.type))
                        continue
                    if name == MANIFEST_NAME:
                        if member.size > MAX_MANIFEST_BYTES:
                            problems.append('manifest.json is %d bytes, larger than %d; refused' % (member.size, MAX_MANIFEST_BYTES))
                            continue
                        manifest_data = tar.extractfile(member).read()
                        if extract_dir is not None:
                            with os.fdopen(os.open(os.path.join(extract_dir, MANIFEST_NAME), os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                                                   DATA_MODE), 'wb') as out:
                                out.write(manifest_data)
                        continue
                    if name in seen:
                        problems.append('member %s appears twice' % name)
                        continue
                    target = os.path.join(extract_dir, *name.split('/')) if extract_dir is not None else None
                    seen[name] = _hash_member(tar, member, target)
        except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError) as exc:
            problems.append('archive %s is truncated or corrupt: %s' % (archive, exc or type(exc).__name__))
        except Exception as exc:  # pylint: disable=broad-except  # zstandard.ZstdError and friends
            problems.append('archive %s is truncated or corrupt: %s' % (archive, exc))
        error = stream.finish()
        if error:
            problems.append('archive %s is truncated or corrupt: %s' % (archive, error))
    finally:
        stream.close()
    if manifest_data is None:
        if not problems:
            problems.append('archive %s has no manifest.json' % archive)
    else:
        try:
            manifest = parse_manifest(manifest_data)
        except ValueError as exc:
            problems.append(str(exc))
    return manifest, seen, problems, compression
