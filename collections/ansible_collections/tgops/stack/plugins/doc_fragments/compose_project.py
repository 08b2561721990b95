# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Options that locate one Docker Compose v2 project."""

    DOCUMENTATION = r"""
options:
  project_src:
    description:
      - The Compose project directory (passed as C(--project-directory)).
      - Relative O(files) and O(env_files) are resolved against it.
    type: path
    required: true
  project_name:
    description:
      - The Compose project name (passed as C(-p)).
      - When omitted, Compose decides as usual, from C(COMPOSE_PROJECT_NAME) in the env file, the top-level C(name:) of the
        model, or the directory name.
    type: str
  files:
    description:
      - Compose files, relative to O(project_src) (or absolute), passed in order as C(-f).
      - When omitted, Compose picks its default files (C(compose.yaml), C(docker-compose.yml) and their override files, or C(COMPOSE_FILE)).
    type: list
    elements: path
  env_files:
    description:
      - Env files, relative to O(project_src) (or absolute), passed in order as C(--env-file).
      - When omitted, Compose reads C(.env) in O(project_src) if it exists.
      - Only keys of these files are ever returned, never values.
    type: list
    elements: path
  profiles:
    description:
      - Compose profiles to enable (passed as C(--profile)); services of other profiles are not part of the model.
      - Use V(*) to enable every profile.
    type: list
    elements: str
  docker_cli:
    description:
      - The C(docker) CLI, with the Compose v2 plugin (C(docker compose)), as a name looked up in E(PATH) or an absolute path.
    type: path
    default: docker
  docker_host:
    description:
      - The Docker daemon to talk to, for example V(unix:///var/run/docker.sock) or V(tcp://127.0.0.1:2375).
      - Exported as E(DOCKER_HOST) to the CLI and used by the Docker SDK.
      - When omitted, E(DOCKER_HOST) of the module's environment or the default local socket is used.
    type: str
requirements:
  - Docker CLI with the Compose v2 plugin (C(docker compose)) on the managed host.
  - Docker SDK for Python (C(docker) >= 5.0) on the managed host.
notes:
  - The model comes from C(docker compose config --format json); Compose's naming, merge and interpolation rules are not re-implemented.
  - What exists (volumes, containers) comes from the Docker SDK, by the C(com.docker.compose.*) labels Compose sets.
"""
