# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.tgops.stack.plugins.module_utils.dotenv import dotenv_pairs
from ansible_collections.tgops.stack.plugins.module_utils.telegram import admin_url, bot_id_of, find_reply, parse_get_me, scrub, token_format_ok
from ansible_collections.tgops.stack.tests.unit.plugins.module_utils.helpers import FakeResponse

TOKEN = '7100012345:AAbbCCddEEffGGhhIIjjKKllMMnnOOpp_-1'


def test_token_format_and_bot_id():
    assert token_format_ok(TOKEN) and bot_id_of(TOKEN) == 7100012345
    assert not token_format_ok('7100012345:short') and bot_id_of('nope') is None


def test_scrub_removes_token_and_secret_half():
    msg = 'HTTP Error 401 for url http://x/bot%s/getMe (secret %s)' % (TOKEN, TOKEN.split(':')[1])
    assert TOKEN.split(':')[1] not in scrub(msg, TOKEN)


def test_parse_get_me_recorded_answers():
    # recorded from the sandbox's fake Bot API
    ok = parse_get_me(200, b'{"ok":true,"result":{"id":7100012345,"is_bot":true,"username":"mytgtodoist_sandbox_bot"}}')
    assert ok == {'ok': True, 'status': 200, 'bot_id': 7100012345, 'username': 'mytgtodoist_sandbox_bot', 'description': ''}
    bad = parse_get_me(401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}')
    assert bad['ok'] is False and bad['description'] == 'Unauthorized' and bad['bot_id'] is None


def test_dotenv_pairs():
    assert dotenv_pairs('A=1\n# c\nexport B="x y"\n') == [('A', '1'), ('B', 'x y')]


def test_find_reply_only_accepts_a_later_answer_in_the_same_chat():
    # shape recorded from the fake Bot API's /_admin/messages
    messages = [
        {'message_id': 3, 'chat': {'id': 555, 'type': 'private'}, 'text': 'pong', 'date': 1},
        {'message_id': 8, 'chat': {'id': 777, 'type': 'private'}, 'text': 'pong', 'date': 2},
        {'message_id': 9, 'chat': {'id': 555, 'type': 'private'}, 'text': 'hello', 'date': 3},
        {'message_id': 11, 'chat': {'id': 555, 'type': 'private'}, 'text': 'pong', 'date': 4},
    ]
    assert find_reply(messages, 555, 5, 'pong') == {'message_id': 11, 'text': 'pong', 'date': 4}
    assert find_reply(messages, '555', 11, 'pong') is None
    assert find_reply([], 555, 0, 'pong') is None


def test_admin_url():
    assert admin_url('http://127.0.0.1:8081/', 'updates') == 'http://127.0.0.1:8081/_admin/updates'


def test_token_from_params_reads_the_env_file_and_names_a_missing_key(tmp_path):
    from ansible_collections.tgops.stack.plugins.module_utils.telegram import token_from_params
    env = tmp_path / '.env'
    env.write_text('BOT_TOKEN=%s\nOTHER=1\n' % TOKEN)
    failures = []
    assert token_from_params({'token': None, 'env_file': str(env), 'token_variable': 'BOT_TOKEN'}, failures.append) == TOKEN
    assert token_from_params({'token': 'given', 'env_file': None, 'token_variable': 'BOT_TOKEN'}, failures.append) == 'given'
    token_from_params({'token': None, 'env_file': str(env), 'token_variable': 'NOPE'}, failures.append)
    token_from_params({'token': None, 'env_file': str(tmp_path / 'missing'), 'token_variable': 'BOT_TOKEN'}, failures.append)
    assert 'has no NOPE (token_variable)' in failures[0] and 'cannot be read' in failures[1]
    assert TOKEN not in ' '.join(failures)


class _HTTPError(Exception):
    def __init__(self, code, body):
        super().__init__('HTTP Error %s: https://api.example/bot%s/getMe' % (code, TOKEN))
        self.code, self.body = code, body

    def read(self):
        return self.body


TOKEN = '7100012345:PLANTEDtodoBotTokenXXXXXXXXXXXXXXXX'
# Recorded from the sandbox's fake Bot API (sandbox/images/fake-telegram) and the real API's documented shapes.
GET_ME_OK = b'{"ok": true, "result": {"id": 7100012345, "is_bot": true, "first_name": "todo", "username": "mytgtodoist_sandbox_bot"}}'
UNAUTHORIZED = b'{"ok": false, "error_code": 401, "description": "Unauthorized"}'


def test_get_me_ok_and_unauthorized_and_unreachable():
    from ansible_collections.tgops.stack.plugins.module_utils.telegram import get_me
    ok = get_me('http://x', TOKEN, opener=lambda url, **kw: FakeResponse(200, GET_ME_OK))
    assert ok == {'ok': True, 'status': 200, 'bot_id': 7100012345, 'username': 'mytgtodoist_sandbox_bot', 'description': ''}

    def refused(url, **kw):
        raise _HTTPError(401, UNAUTHORIZED)
    bad = get_me('http://x', TOKEN, opener=refused)
    assert bad['ok'] is False and bad['status'] == 401 and bad['description'] == 'Unauthorized'

    def down(url, **kw):
        raise OSError('connection refused to %s' % url)
    gone = get_me('http://x', TOKEN, opener=down)
    assert gone['status'] == -1 and 'not reachable' in gone['description'] and TOKEN not in gone['description']
    assert TOKEN.split(':')[1] not in gone['description']


def test_ping_waits_for_the_reply_and_times_out_without_the_token():
    from ansible_collections.tgops.stack.plugins.module_utils.telegram import ping
    calls = []
    replies = [b'{"ok": true, "result": []}', b'{"ok": true, "result": [{"message_id": 8, "chat": {"id": 5}, "text": "pong", "date": 1}]}']

    def opener(url, method='GET', **kw):
        calls.append((method, url))
        if url.endswith('/_admin/updates'):
            return FakeResponse(200, b'{"ok": true, "result": {"message": {"message_id": 7}}}')
        return FakeResponse(200, replies.pop(0) if replies else b'{"ok": true, "result": []}')
    clock = iter(range(100)).__next__
    result = ping('http://x', TOKEN, '/ping', 'pong', 20, 5, opener=opener, clock=clock, sleep=lambda s: None)
    assert result['ok'] and result['reply']['message_id'] == 8 and calls[0][0] == 'POST'

    result = ping('http://x', TOKEN, '/ping', 'pong', 3, 5, opener=opener, clock=iter(range(100)).__next__, sleep=lambda s: None)
    assert not result['ok'] and 'within 3 s' in result['description']

    def no_admin(url, **kw):
        raise _HTTPError(404, b'{"ok": false, "description": "Not Found"}')
    result = ping('http://x', TOKEN, '/ping', 'pong', 3, 5, opener=no_admin, clock=iter(range(100)).__next__, sleep=lambda s: None)
    assert not result['ok'] and 'HTTP 404' in result['description'] and TOKEN not in str(result)


def test_telegram_argument_spec_keeps_the_token_secret_and_is_a_fresh_copy():
    from ansible_collections.tgops.stack.plugins.module_utils.telegram import telegram_argument_spec
    spec = telegram_argument_spec()
    assert spec == {'env_file': {'type': 'path'}, 'token_variable': {'type': 'str', 'default': 'BOT_TOKEN', 'no_log': False},
                    'token': {'type': 'str', 'no_log': True}}
    spec['api_base'] = {'type': 'str'}
    assert 'api_base' not in telegram_argument_spec()


def test_bot_info_checks_the_format_before_any_request_then_asks_get_me():
    from ansible_collections.tgops.stack.plugins.module_utils.telegram import bot_info
    calls = []

    def opener(url, **kw):
        calls.append(url)
        return FakeResponse(200, GET_ME_OK)
    bad = bot_info('http://x', '12345:short', opener=opener)
    assert calls == []
    assert bad == {'format_ok': False, 'token_bot_id': None, 'ok': False, 'bot_id': None, 'username': None, 'status': 0,
                   'description': 'the token does not look like <bot id>:<35 characters> (format check failed before any request)'}

    good = bot_info('http://x/', TOKEN, timeout=3, opener=opener)
    assert calls == ['http://x/bot%s/getMe' % TOKEN]
    assert good == {'format_ok': True, 'token_bot_id': 7100012345, 'ok': True, 'status': 200, 'bot_id': 7100012345,
                    'username': 'mytgtodoist_sandbox_bot', 'description': ''}

    def refused(url, **kw):
        raise _HTTPError(401, UNAUTHORIZED)
    denied = bot_info('http://x', TOKEN, opener=refused)
    assert denied['format_ok'] is True and denied['ok'] is False and denied['status'] == 401 and denied['bot_id'] is None
    assert denied['description'] == 'Unauthorized' and TOKEN not in str(denied)
