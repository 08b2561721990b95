# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.tgops.stack.plugins.module_utils.dotenv import dotenv_pairs
from ansible_collections.tgops.stack.plugins.module_utils.telegram import admin_url, bot_id_of, find_reply, parse_get_me, scrub, token_format_ok

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
