# Sourced (bash): debian_mirror prints the Debian mirror this machine is configured with, from its deb822
# .sources or one-line .list entries, never a host written here: machines behind another mirror or an apt proxy
# keep using theirs. Security, backports and updates archives are skipped; the first URI serving the main archive
# comes first. Take the first line with `sed -n 1p` (it reads everything: no SIGPIPE under pipefail, as `head`
# would risk). Used by scripts/install-host-deps.sh and sandbox/images/bare-host/build.sh.
debian_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN{IGNORECASE=1}
         /^URIs:/ {for (i=2;i<=NF;i++) if ($i !~ /security|backports|updates/ && $i ~ /debian\/?$/) {print $i; exit}}' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1=="deb" {u=$2; if (u ~ /^\[/) u=$3; if (u !~ /security|backports/ && u ~ /debian\/?$/) {print u; exit}}' "$f"
  done
}
