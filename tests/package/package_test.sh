#!/usr/bin/env bash
# The amd64 package on a clean Debian 12 booted with systemd: a chroot of ours under an overlay (the base stays
# clean), systemd as PID 1 of its own PID namespace. apt installs the package with its dependencies from the
# archive; the binary names its version, revision and architecture; the unit passes systemd-analyze verify and
# is skipped until /etc/hemd/hemd.yaml exists; the installed example, its placeholders filled, passes
# --check-config with the data files of /usr/share/hemd; the service runs as its own user, reads its config,
# writes its history, and an invalid config stops it with 6 (NOTCONFIGURED) and no restart; an upgrade to a
# newer Debian revision keeps the homeowner's config, an edited conffile and the history, and restarts the
# service; remove keeps config and history; purge takes them, and nothing of hemd is left but the system
# account Debian leaves on purge.
#   tests/package/package_test.sh dist/hemd_<version>_amd64.deb REVISION
# Needs root (chroot, mounts, namespaces); ./run test runs it after the other suites.
set -euo pipefail
deb=$(realpath "$1")
revision=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
# shellcheck source=../../debian/package.sh
. "$ROOT/debian/package.sh"

base=$CHROOTS/$SUITE-$(dpkg --print-architecture)
make_chroot "$base"
in_chroot "$base" "command -v systemd-analyze >/dev/null && command -v ps >/dev/null || { apt-get update -qq &&
  apt-get install -y -qq --no-install-recommends systemd systemd-sysv dbus procps >/dev/null; }"
as_root mkdir -p "$CHROOTS/apt-archives/partial"

work=$(mktemp -d)
init=
cleanup() {
  [ -n "$init" ] && as_root kill -KILL "$init" 2>/dev/null
  sleep 0.5
  as_root rm -rf "$work"
}
trap cleanup EXIT

# The same package a Debian revision later ("reinstall the same version with a bumped revision"): repacked,
# so that dpkg upgrades every file and runs every maintainer script as for a new revision.
version=$(dpkg-deb -f "$deb" Version)
next=${version%-*}-$((${version##*-} + 1))
dpkg-deb -R "$deb" "$work/next"
sed -i "s/^Version: .*/Version: $next/" "$work/next/DEBIAN/control"
dpkg-deb -b --root-owner-group "$work/next" "$work/hemd_${next}_amd64.deb" >/dev/null
rm -rf "$work/next"
cp "$deb" "$work/"

marker=hemd-package-test-$$
# Boot: an overlay over the clean chroot, systemd as PID 1; everything goes with the namespaces.
as_root unshare --pid --fork --mount --uts --ipc --propagation private -- bash -euo pipefail -c '
  base=$1 work=$2 archives=$3
  mkdir -p "$work/upper" "$work/overlay-work" "$work/root"
  mount -t overlay overlay -o "lowerdir=$base,upperdir=$work/upper,workdir=$work/overlay-work" "$work/root"
  mount -t proc proc "$work/root/proc"
  mount --rbind /sys "$work/root/sys"
  mount --rbind /dev "$work/root/dev"
  mount -t tmpfs tmpfs "$work/root/run"
  mount -t tmpfs tmpfs "$work/root/tmp"
  mkdir -p "$work/root/pkg" && mount --bind "$work" "$work/root/pkg"
  mount --bind "$archives" "$work/root/var/cache/apt/archives"
  hostname hemd-package-test
  exec chroot "$work/root" /usr/bin/env -i container=$4 \
    /lib/systemd/systemd --system --log-target=journal --show-status=no' \
  sh "$base" "$work" "$CHROOTS/apt-archives" "$marker" >"$work/boot.log" 2>&1 &
# Our systemd is the one whose environment names this run.
find_init() {
  local p
  for p in $(pgrep -x systemd); do
    as_root cat "/proc/$p/environ" 2>/dev/null | tr '\0' '\n' | grep -qx "container=$marker" && echo "$p" && return
  done
  return 0
}
for _ in $(seq 100); do init=$(find_init); [ -n "$init" ] && break; sleep 0.1; done
[ -n "$init" ] || { cat "$work/boot.log"; echo "package: systemd did not start"; exit 1; }
inside() {
  as_root nsenter -t "$init" -m -p -u -i -r -w -- /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
state=
for _ in $(seq 60); do
  state=$(inside systemctl is-system-running 2>/dev/null || true)
  case $state in running | degraded) break ;; esac
  sleep 1
done
case $state in running | degraded) ;; *) echo "package: systemd did not boot ($state)"; exit 1 ;; esac

cat >"$work/test.sh" <<EOF
set -uo pipefail
passed=0 failed=0
check() { if "\$@"; then passed=\$((passed + 1)); else echo "FAILED: \$*"; failed=\$((failed + 1)); fi; }
says() { grep -q -- "\$1" <<<"\$2" || { echo "expected '\$1' in:"; echo "\$2"; return 1; }; }
prop() { systemctl show -P "\$1" hemd; }
# Waits up to 20 s for the service's ActiveState to be \$1.
becomes() {
  for _ in \$(seq 40); do [ "\$(prop ActiveState)" = "\$1" ] && return 0; sleep 0.5; done
  systemctl status --no-pager -l hemd | tail -n 12
  journalctl --no-pager -n 15 -o cat _PID=1 | grep -i hemd | tail -n 8
  return 1
}
# Every path but the kernel's, the runtime's, apt's and dpkg's bookkeeping and logs.
files() {
  find / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp -o -path /var/tmp \\
    -o -path /var/cache -o -path /var/log -o -path /var/lib/apt -o -path /var/lib/dpkg -o -path /pkg \\
    -o -path /var/lib/systemd/timers -o -path /var/lib/systemd/random-seed \\) -prune -o -print | sort
}
# hemd's dependencies first, so that what the snapshots differ in is hemd's alone.
apt-get update -qq
apt-get satisfy -y -qq --no-install-recommends "$(dpkg-deb -f "$deb" Depends)" >/tmp/deps.log 2>&1 ||
  { cat /tmp/deps.log; exit 1; }
files >/tmp/before
apt-get install -y -qq /pkg/$(basename "$deb") >/tmp/install.log 2>&1 || { cat /tmp/install.log; exit 1; }
check says "not configured yet" "\$(cat /tmp/install.log)"

# The binary: its version, the revision it was built from, its architecture; the data files it ships.
check says "^hemd ${version%-*} (git $revision, amd64)\$" "\$(hemd --version)"
check test -f /usr/share/hemd/devices/eastron_sdm630.yaml
check test -f /usr/share/hemd/chargers/go-e.yaml

# The unit where systemd looks for it, valid, enabled, and skipped (not failed) until hemd.yaml exists.
# --man=no: this minimal Debian has no man-db; the page the unit names is checked to be there.
check systemd-analyze verify --man=no /lib/systemd/system/hemd.service
check test -f /usr/share/man/man1/hemd.1.gz
check says enabled "\$(systemctl is-enabled hemd)"
systemctl start hemd
check says "^no\$" "\$(prop ConditionResult)"
check says "^inactive\$" "\$(prop ActiveState)"
check says "ConditionPathExists=/etc/hemd/hemd.yaml was not met" "\$(systemctl status hemd 2>&1)"
# The account it runs as, and /etc/hemd readable by it and nobody else.
check getent passwd hemd
check says "root:hemd 750" "\$(stat -c '%U:%G %a' /etc/hemd)"
check test -f /etc/hemd/hemd.yaml.example
check grep -qx /etc/hemd/hemd.yaml.example /var/lib/dpkg/info/hemd.conffiles

# The example as the homeowner uses it: copied, secrets in hemd.env, checked from another directory, with the
# device maps and charger profiles of /usr/share/hemd (this root has no source tree to fall back to).
install -m 640 -g hemd /etc/hemd/hemd.yaml.example /etc/hemd/hemd.yaml
printf 'HEMD_CARPORT_PASSWORD=carport-secret\nHEMD_MQTT_PASSWORD=mqtt-secret\n' >/etc/hemd/hemd.env
chmod 600 /etc/hemd/hemd.env
out=\$(cd /var && set -a && . /etc/hemd/hemd.env && hemd --check-config 2>&1)
check says "/etc/hemd/hemd.yaml: valid" "\$out"
check says "device: eastron_sdm630" "\$out"
check test "\$(grep -c carport-secret <<<"\$out")" = 0
# Its placeholders not filled, it names what is missing.
out=\$(hemd --check-config 2>&1)
check says "HEMD_MQTT_PASSWORD is not set" "\$out"
# The data files are those of /usr/share/hemd: without its device maps the check names that folder.
mv /usr/share/hemd/devices /usr/share/hemd/devices.away
out=\$(set -a && . /etc/hemd/hemd.env && hemd --check-config 2>&1)
check says "/usr/share/hemd/devices/eastron_sdm630.yaml" "\$out"
mv /usr/share/hemd/devices.away /usr/share/hemd/devices

# wss://: the server key from hemd cert is the service's to read, the CA key root's alone.
hemd cert --out /etc/hemd/tls --host hemd-package-test >/dev/null
check says "640 root:hemd" "\$(stat -c '%a %U:%G' /etc/hemd/tls/server.key)"
check says "600 root:root" "\$(stat -c '%a %U:%G' /etc/hemd/tls/ca.key)"

# The service on a site whose only device is the OCPP listener on loopback (the example's meters and price
# service are not here): it runs as hemd, reads /etc/hemd/hemd.yaml and its TLS key, and writes its history to
# /var/lib/hemd.
cat >/etc/hemd/hemd.yaml <<'YAML'
site: {name: Sommerhus, main_fuse_a: 25}
chargers:
  - {id: carport, max_current_a: 16}
ocpp: {listen_address: 127.0.0.1, port: $((20000 + RANDOM % 20000)), tls_cert_file: /etc/hemd/tls/server.pem, tls_key_file: /etc/hemd/tls/server.key}
prices: {enabled: false}
mqtt: {enabled: false}
YAML
systemctl restart hemd
check becomes active
pid=\$(prop MainPID)
check says "^hemd\$" "\$(ps -o user= -p "\$pid")"
sleep 5
check test -s /var/lib/hemd/hemd.db
check says "^active\$" "\$(prop ActiveState)"
echo "package: hemd under systemd, idle: RSS \$((\$(awk '/^VmRSS/ {print \$2}' /proc/\$pid/status) / 1024)) MB"
# An invalid config: exit status 6 (NOTCONFIGURED), and no restart five seconds later.
cp /etc/hemd/hemd.yaml /tmp/good.yaml
printf 'site: {main_fuse_a: 500}\n' >/etc/hemd/hemd.yaml
systemctl restart hemd
check becomes failed
sleep 7
check says "^6\$" "\$(prop ExecMainStatus)"
check says "^0\$" "\$(prop NRestarts)"
check says "^failed\$" "\$(prop ActiveState)"

# Upgrade while running: config, an edited conffile and the history stay; the service runs the new revision.
cp /tmp/good.yaml /etc/hemd/hemd.yaml
printf '# my note\n' >>/etc/hemd/hemd.yaml.example
systemctl restart hemd
check becomes active
before_pid=\$(prop MainPID)
apt-get install -y -qq /pkg/hemd_${next}_amd64.deb >/tmp/upgrade.log 2>&1 || { cat /tmp/upgrade.log; exit 1; }
check says "^hemd[[:space:]]${next}\$" "\$(dpkg-query -W hemd)"
check becomes active
check test "\$(prop MainPID)" != "\$before_pid"
check grep -q 'name: Sommerhus' /etc/hemd/hemd.yaml
check grep -q '^# my note' /etc/hemd/hemd.yaml.example
check test -s /var/lib/hemd/hemd.db
check test -f /etc/hemd/hemd.env

# Remove stops it and keeps configuration and history; purge takes them.
apt-get remove -y -qq hemd >/dev/null 2>&1
check test ! -e /usr/bin/hemd
check test ! -e /lib/systemd/system/hemd.service
check says "^inactive\$" "\$(systemctl show -P ActiveState hemd)"
check grep -q 'name: Sommerhus' /etc/hemd/hemd.yaml
check test -s /var/lib/hemd/hemd.db
apt-get purge -y -qq hemd >/dev/null 2>&1
check test ! -e /etc/hemd
check test ! -e /var/lib/hemd
check test ! -e /var/lib/private/hemd
files >/tmp/after
# What is new after purge must be nothing but the account's backups of passwd and group files; the hemd
# account stays (Debian does not remove system accounts on purge: files elsewhere may still carry its id).
left=\$(comm -13 /tmp/before /tmp/after | grep -vxE '/etc/(passwd|group|shadow|gshadow)-' || true)
[ -z "\$left" ] || printf 'left after purge:\n%s\n' "\$left"
check test -z "\$left"
check getent passwd hemd

echo "package: \$passed passed, \$failed failed"
[ "\$failed" -eq 0 ]
EOF
inside bash /pkg/test.sh
