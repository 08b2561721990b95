# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Options that say where the bot token comes from (module_utils.telegram.telegram_argument_spec)."""

    DOCUMENTATION = r"""
options:
  env_file:
    description: Env file holding the token; required unless O(token) is given.
    type: path
  token_variable:
    description: Key of the token in O(env_file).
    type: str
    default: BOT_TOKEN
  token:
    description: The token itself (for example a new one to check before a rotation).
    type: str
"""
