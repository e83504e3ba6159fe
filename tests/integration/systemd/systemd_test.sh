#!/usr/bin/env bash
# The unit passes `systemd-analyze verify`, rates OK or better in `systemd-analyze security`, and
# `cmake --install` puts the binary, the unit and an example config where the unit expects them.
set -euo pipefail
build=$1
binary=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
check() { if "$@"; then passed=$((passed + 1)); else echo "FAILED: $*"; failed=$((failed + 1)); fi; }

# verify needs ExecStart to exist: point it at the built binary.
sed "s#^ExecStart=[^ ]*#ExecStart=$binary#" "$build/systemd/hemd.service" > "$work/hemd.service"
# --man=no: the man page the unit names is installed with it, not yet here.
check systemd-analyze verify --man=no "$work/hemd.service"

report=$(systemd-analyze security --offline=true "$work/hemd.service" 2>&1 | tail -n 1)
echo "security: $report"
check grep -qE 'Overall exposure level for hemd.service: [0-9.]+ (OK|SAFE|PERFECT)' <<<"$report"
score=$(grep -oE '[0-9]+\.[0-9]+' <<<"$report" | head -n 1)
check awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'

for key in Type=notify WatchdogSec= Restart=on-failure StateDirectory=hemd ConfigurationDirectory=hemd \
  ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes RestrictAddressFamilies= SupplementaryGroups=dialout \
  User=hemd ConditionPathExists=/etc/hemd/hemd.yaml RestartPreventExitStatus=6; do
  check grep -q "^$key" "$work/hemd.service"
done

DESTDIR="$work/root" cmake --install "$build" >/dev/null
prefix=$(grep -oP '^CMAKE_INSTALL_PREFIX:PATH=\K.*' "$build/CMakeCache.txt")
check test -x "$work/root$prefix/bin/hemd"
check test -f "$work/root$prefix/lib/systemd/system/hemd.service"
check test -f "$work/root/etc/hemd/hemd.yaml.example"
# The account the unit runs as, and /etc/hemd readable by its group (ConfigurationDirectory= leaves it root's).
check grep -q '^u hemd ' "$work/root$prefix/lib/sysusers.d/hemd.conf"
check grep -q '^d /etc/hemd 0750 root hemd' "$work/root$prefix/lib/tmpfiles.d/hemd.conf"
check grep -q "^ExecStart=$prefix/bin/hemd --config /etc/hemd/hemd.yaml" "$work/root$prefix/lib/systemd/system/hemd.service"
# The installed example is a valid config once its secrets are in the environment.
check env HEMD_CARPORT_PASSWORD=x HEMD_MQTT_PASSWORD=y "$work/root$prefix/bin/hemd" --check-config \
  --config "$work/root/etc/hemd/hemd.yaml.example" >/dev/null

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
