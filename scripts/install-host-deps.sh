#!/usr/bin/env bash
# Install what a fresh Debian bookworm machine lacks to run the sandbox:
# Docker Engine (docker.io), the Compose v2 plugin (from Debian trixie's
# docker-compose package), mmdebstrap, sqlite3, zstd, the AWS CLI's deps,
# openssh-server. Starts dockerd in the background when `docker info` fails.
# Idempotent: every step checks first.
set -euo pipefail

log() { printf '[host-deps] %s\n' "$*"; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

need_apt=()
command -v dockerd >/dev/null 2>&1 || need_apt+=(docker.io)
command -v mmdebstrap >/dev/null 2>&1 || need_apt+=(mmdebstrap)
command -v sqlite3 >/dev/null 2>&1 || need_apt+=(sqlite3)
command -v zstd >/dev/null 2>&1 || need_apt+=(zstd)
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v git >/dev/null 2>&1 || need_apt+=(git)
command -v make >/dev/null 2>&1 || need_apt+=(make)
[ -x /usr/bin/unshare ] || need_apt+=(util-linux)

if [ "${#need_apt[@]}" -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# The Debian mirror this machine is configured with (never a host written here).
source "$(dirname "${BASH_SOURCE[0]}")/lib/debian-mirror.sh"

# Compose v2 plugin: bookworm only ships v1; take the binary from trixie.
PLUGIN_DIR="${DOCKER_CLI_PLUGIN_DIR:-/usr/local/lib/docker/cli-plugins}"
if ! docker compose version >/dev/null 2>&1; then
  log "installing the Compose v2 plugin from Debian trixie"
  if [ ! -f /etc/apt/sources.list.d/trixie.list ]; then
    mirror=$(debian_mirror | sed -n 1p)
    [ -n "$mirror" ] || { log "no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/; add a 'deb <mirror> trixie main' source by hand"; exit 1; }
    log "trixie source from the configured mirror $mirror (pin priority 50)"
    echo "deb $mirror trixie main" | $SUDO tee /etc/apt/sources.list.d/trixie.list >/dev/null
    printf 'Package: *\nPin: release n=trixie\nPin-Priority: 50\n' | $SUDO tee /etc/apt/preferences.d/trixie-low >/dev/null
    $SUDO apt-get update -qq
  fi
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq docker-compose/trixie >/dev/null)
  dpkg -x "$tmp"/docker-compose_*.deb "$tmp/x"
  $SUDO mkdir -p "$PLUGIN_DIR"
  $SUDO install -m 0755 "$tmp/x/usr/libexec/docker/cli-plugins/docker-compose" "$PLUGIN_DIR/docker-compose"
  rm -rf "$tmp"
fi

# Docker Engine: start it in the background when it does not answer.
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd in the background (log: /var/log/dockerd-sandbox.log)"
  $SUDO sh -c 'nohup dockerd >/var/log/dockerd-sandbox.log 2>&1 &'
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { log "dockerd did not come up; see /var/log/dockerd-sandbox.log"; exit 1; }
fi
log "docker: $(docker version --format '{{.Server.Version}}'), compose: $(docker compose version --short)"
