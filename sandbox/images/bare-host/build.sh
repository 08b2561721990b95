#!/usr/bin/env bash
# The bare host: what a fresh Debian cloud VPS is before anyone prepares it.
#
# Reproduces: a new Debian cloud VPS as the provider hands it over: systemd as PID 1, sshd started
# by systemd (root logs in with a key), the distribution's python3, nothing else: no Docker, no
# python3-venv, no pip, no python3-apt, no ca-certificates. Its apt source is the Debian mirror this
# machine is configured with (derived from its apt sources, never a host written here).
# Default suite trixie (Debian 13, the current stable, whose own packages carry Compose v2);
# TGOPS_BARE_SUITE=bookworm makes the Debian 12 host whose own packages do not.
# Known differences (they do not matter to host_setup): a container, not a VM. It boots with every
# capability but CAP_SYS_RESOURCE (this machine's dockerd lacks it, so --privileged cannot start),
# seccomp/AppArmor unconfined, all devices allowed and /sys and its cgroup v1 hierarchies remounted
# read-write before /sbin/init runs (tests/integration/test_bare_host.py); systemd 257 needs
# SYSTEMD_CGROUP_ENABLE_LEGACY_FORCE=1 on its command line on this cgroup v1 kernel; a volume at
# /var/lib/docker keeps the inner dockerd off overlay-on-overlay. No cloud-init: the SSH host keys are
# made at boot by a drop-in of ssh.service, the root key is put in by the test. The kernel is this
# machine's.
#
# No registry: mmdebstrap makes the rootfs, `docker import` turns it into an image. Skipped when the
# image's label tgops.sandbox.hash (sha256 of this directory, the suite and the mirror) matches.
# Usage: build.sh [--force]; the image is tgops-bare/host:<suite> (TGOPS_BARE_IMAGE overrides).
# Cold: about 40 s here (mmdebstrap of ~120 packages).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SUITE="${TGOPS_BARE_SUITE:-trixie}"
IMAGE="${TGOPS_BARE_IMAGE:-tgops-bare/host:$SUITE}"
PACKAGES=systemd,systemd-sysv,openssh-server,python3

# The Debian mirror this machine uses (never a host written here).
source "$HERE/../../../scripts/lib/debian-mirror.sh"
MIRROR="$(debian_mirror | sed -n 1p)"  # sed reads it all: no SIGPIPE under pipefail
[ -n "$MIRROR" ] || { echo "[bare-host] no Debian mirror in this machine's apt sources; add a 'deb <mirror> bookworm main' source" >&2; exit 1; }

HASH="$( (cd "$HERE" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; echo "$SUITE $MIRROR") | sha256sum | cut -c1-16)"
if [ "${1:-}" != --force ] \
   && [ "$(docker image inspect -f '{{ index .Config.Labels "tgops.sandbox.hash" }}' "$IMAGE" 2>/dev/null || true)" = "$HASH" ]; then
  echo "[build-images] $IMAGE is up to date"
  exit 0
fi
t0=$(date +%s)
# Customizations, each what a cloud image does at first boot or what a container needs instead of a VM:
# - an empty machine-id (systemd makes one at boot), no SSH host keys in the image (made at boot);
# - the suite from the mirror as the VPS's apt source (deb822);
# - container-only units masked (no consoles or udev in a container).
mmdebstrap --quiet --variant=apt --include="$PACKAGES" \
  --customize-hook='rm -f "$1"/etc/ssh/ssh_host_* && : > "$1"/etc/machine-id && rm -f "$1"/var/lib/dbus/machine-id' \
  --customize-hook='mkdir -p "$1"/etc/systemd/system/ssh.service.d && printf "[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n" > "$1"/etc/systemd/system/ssh.service.d/host-keys.conf' \
  --customize-hook="rm -f \"\$1\"/etc/apt/sources.list && printf 'Types: deb\nURIs: $MIRROR\nSuites: $SUITE $SUITE-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' > \"\$1\"/etc/apt/sources.list.d/debian.sources" \
  --customize-hook='for u in getty@tty1.service console-getty.service systemd-udevd.service systemd-udev-trigger.service systemd-firstboot.service systemd-modules-load.service; do ln -sf /dev/null "$1/etc/systemd/system/$u"; done' \
  --customize-hook='chroot "$1" sh -c "rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/*"' \
  "$SUITE" - "$MIRROR" \
  | docker import \
      --change 'ENV container=docker' \
      --change "LABEL tgops.sandbox.hash=$HASH" \
      --change "LABEL tgops.base.suite=$SUITE" \
      --change 'CMD ["/sbin/init"]' \
      - "$IMAGE" >/dev/null
echo "[build-images] built $IMAGE ($(( $(date +%s) - t0 ))s)"
