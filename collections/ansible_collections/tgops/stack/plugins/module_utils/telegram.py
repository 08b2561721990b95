# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Telegram Bot API checks that never let a token out."""

from __future__ import annotations

import json
import re

from ansible_collections.tgops.stack.plugins.module_utils.dotenv import read_env_pairs

# <bot id>:<35 characters of [A-Za-z0-9_-]>
TOKEN_RE = re.compile(r'^(\d{5,12}):[A-Za-z0-9_-]{35}$')


TOKEN_ARGUMENT_SPEC = dict(
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
