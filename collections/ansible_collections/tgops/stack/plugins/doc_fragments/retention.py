# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The retention rules, shared by backup_retention (a local directory, a given list) and s3_backup (state=pruned)."""

    DOCUMENTATION = r"""
options:
  stack:
    description:
      - Only consider archives named C(<stack>-YYYYMMDDTHHMMSSZ.tar.zst) (or C(.tar.gz)).
    type: str
  keep_last:
    description:
      - Keep this many newest archives.
    type: int
    default: 7
  keep_daily:
    description:
      - Keep the newest archive of each of this many most recent days that have one.
    type: int
    default: 7
  keep_weekly:
    description:
      - Keep the newest archive of each of this many most recent ISO weeks that have one.
    type: int
    default: 4
  protect:
    description:
      - Archive names never to prune (for example the archive this run wrote, or the one a restore drill just verified).
    type: list
    elements: str
    default: []
"""
