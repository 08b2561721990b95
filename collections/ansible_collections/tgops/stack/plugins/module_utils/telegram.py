# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Telegram Bot API checks that never let a token out."""

from __future__ import annotations

import json
import re
import time

from ansible.module_utils.six.moves.urllib.parse import urlencode
from ansible.module_utils.urls import open_url
from ansible_collections.tgops.stack.plugins.module_utils.dotenv import read_env_pairs

# <bot id>:<35 characters of [A-Za-z0-9_-]>
TOKEN_RE = re.compile(r'^(\d{5,12}):[A-Za-z0-9_-]{35}$')


def telegram_argument_spec():
    """argument_spec entries of the telegram_token doc fragment (where the bot token comes from), shared by
    telegram_bot_info and telegram_bot_ping; use with ``required_one_of=[('env_file', 'token')]``."""
    return dict(
        env_file=dict(type='path'),
        token_variable=dict(type='str', default='BOT_TOKEN', no_log=False),
        token=dict(type='str', no_log=True),
    )


def token_from_params(params, fail):
    """The token given as ``token``, else read from ``env_file`` on the host; ``fail(msg)`` on a missing file or key."""
    if params.get('token'):
        return params['token']
    try:
        token = dict(read_env_pairs(params['env_file'])).get(params['token_variable'])
    except OSError as exc:
        return fail('env_file=%s cannot be read (%s); fix the path' % (params['env_file'], exc))
    if not token:
        return fail('env_file=%s has no %s (token_variable); add it or set token_variable' % (params['env_file'], params['token_variable']))
    return token


def token_format_ok(token):
    return bool(TOKEN_RE.match(token or ''))


def bot_id_of(token):
    match = TOKEN_RE.match(token or '')
    return int(match.group(1)) if match else None


def scrub(text, token):
    """Remove the token (and its secret half) from any text, e.g. an error that quotes the URL."""
    text = str(text)
    if token:
        text = text.replace(token, '<token>')
        secret = token.split(':', 1)[-1]
        if len(secret) >= 6:
            text = text.replace(secret, '<token>')
    return text


def method_url(api_base, token, method):
    return '%s/bot%s/%s' % (api_base.rstrip('/'), token, method)


def parse_get_me(status, body):
    """The result of getMe as returned by the module (no token in it)."""
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        data = {}
    result = data.get('result') or {}
    ok = status == 200 and bool(data.get('ok'))
    return {
        'ok': ok,
        'status': status,
        'bot_id': result.get('id') if ok else None,
        'username': result.get('username') if ok else None,
        'description': '' if ok else str(data.get('description') or 'HTTP %s' % status),
    }


def admin_url(api_base, path):
    """URL of the fake Bot API's admin endpoint (the sandbox and tests; the real Bot API has none)."""
    return '%s/_admin/%s' % (api_base.rstrip('/'), path)


def find_reply(messages, chat_id, after_message_id, expect):
    """The first message the bot sent to chat_id after after_message_id whose text contains expect, or None."""
    for msg in messages or []:
        chat = (msg.get('chat') or {}).get('id')
        if str(chat) != str(chat_id):
            continue
        if int(msg.get('message_id') or 0) <= int(after_message_id or 0):
            continue
        if expect in (msg.get('text') or ''):
            return {'message_id': msg.get('message_id'), 'text': msg.get('text'), 'date': msg.get('date')}
    return None


def http_json(url, token, data=None, timeout=10, opener=open_url):
    """(status, decoded JSON body, error) of one request; the token is scrubbed from any error. ``status`` is -1
    when the API did not answer."""
    try:
        resp = opener(url, method='POST' if data is not None else 'GET', timeout=timeout,
                      data=json.dumps(data) if data is not None else None, headers={'Content-Type': 'application/json'})
        return resp.getcode(), json.loads(resp.read() or b'{}'), ''
    except Exception as exc:  # pylint: disable=broad-except  # HTTP errors carry a body; others mean unreachable
        body = {}
        if hasattr(exc, 'read'):
            try:
                body = json.loads(exc.read() or b'{}')
            except Exception:  # pylint: disable=broad-except
                body = {}
        return getattr(exc, 'code', -1), body if isinstance(body, dict) else {}, scrub(exc, token)


def get_me(api_base, token, timeout=10, opener=open_url):
    """getMe as the telegram_bot_info module returns it (ok, status, bot_id, username, description); no token in it."""
    status, body, err = http_json(method_url(api_base, token, 'getMe'), token, timeout=timeout, opener=opener)
    result = parse_get_me(status, json.dumps(body).encode())
    if status == -1:
        result['description'] = 'Bot API %s not reachable: %s' % (api_base, err)
    return result


def bot_info(api_base, token, timeout=10, opener=open_url):
    """What telegram_bot_info returns (without ``changed``): the token's format check and bot id, then getMe.

    A token of the wrong format is reported without any request (status 0).
    """
    result = dict(format_ok=token_format_ok(token), token_bot_id=bot_id_of(token))
    if not result['format_ok']:
        result.update(ok=False, bot_id=None, username=None, status=0,
                      description='the token does not look like <bot id>:<35 characters> (format check failed before any request)')
        return result
    result.update(get_me(api_base, token, timeout, opener=opener))
    return result


def ping(api_base, token, text, expect, timeout, chat_id, opener=open_url, clock=time.time, sleep=time.sleep):
    """Inject ``text`` as a message from ``chat_id`` through the fake Bot API's admin endpoint and wait up to
    ``timeout`` seconds for the bot's reply containing ``expect``; what telegram_bot_ping returns."""
    result = dict(ok=False, chat_id=chat_id, reply=None, seconds=0.0, description='')
    started = clock()
    status, body, err = http_json(admin_url(api_base, 'updates'), token, {'token': token, 'text': text, 'chat_id': chat_id}, opener=opener)
    if status != 200:
        result['description'] = (
            'the Bot API at %s (api_base) did not take the probe: HTTP %s %s; it must offer /_admin/updates '
            '(the sandbox fake does, api.telegram.org does not: turn the ping probe off there)'
            % (api_base, status, err or body.get('description', '')))
        return result
    sent_id = ((body.get('result') or {}).get('message') or {}).get('message_id') or 0
    query = admin_url(api_base, 'messages') + '?' + urlencode({'token': token})
    while True:
        status, body, err = http_json(query, token, opener=opener)
        reply = find_reply(body.get('result') if status == 200 else [], chat_id, sent_id, expect)
        result['seconds'] = round(clock() - started, 3)
        if reply:
            result.update(ok=True, reply=reply)
            return result
        if clock() - started >= timeout:
            result['description'] = 'no reply containing %r to %r within %s s (timeout)%s' % (
                expect, text, timeout, ('; last error: %s' % err) if err else '')
            return result
        sleep(0.25)
