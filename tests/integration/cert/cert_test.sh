#!/usr/bin/env bash
# `hemd cert` makes a CA and a server certificate that a TLS client trusts for the names it was given.
set -uo pipefail
hemd=$1
work=$(mktemp -d)
server_pid=
trap '[ -n "$server_pid" ] && kill $server_pid 2>/dev/null; rm -rf "$work"' EXIT
passed=0
failed=0
check() { if "$@"; then passed=$((passed + 1)); else echo "FAILED: $*"; failed=$((failed + 1)); fi; }

check "$hemd" cert --out "$work/tls" --host hemd.local --host pi --ip 127.0.0.1 >"$work/out"
check grep -q "Created the CA" "$work/out"
check grep -q "BEGIN CERTIFICATE" "$work/out"
check openssl verify -CAfile "$work/tls/ca.pem" "$work/tls/server.pem"
san=$(openssl x509 -in "$work/tls/server.pem" -noout -ext subjectAltName)
check grep -q "DNS:hemd.local, DNS:pi, IP Address:127.0.0.1" <<<"$san"
# The server key is the service's to read: group hemd where that account exists (systemd/hemd.sysusers).
if getent group hemd >/dev/null; then
  check test "$(stat -c %a:%G "$work/tls/server.key")" = 640:hemd
else
  check test "$(stat -c %a "$work/tls/server.key")" = 600
fi
check test "$(stat -c %a "$work/tls/ca.key")" = 600
check openssl x509 -in "$work/tls/ca.pem" -noout -ext basicConstraints
check grep -q "CA:TRUE" <(openssl x509 -in "$work/tls/ca.pem" -noout -ext basicConstraints)

# Re-issuing keeps the CA (chargers keep trusting it); --new-ca replaces it.
ca1=$(openssl x509 -in "$work/tls/ca.pem" -noout -fingerprint -sha256)
check "$hemd" cert --out "$work/tls" --host other.local >"$work/out2"
check grep -q "Reused the CA" "$work/out2"
check test "$ca1" = "$(openssl x509 -in "$work/tls/ca.pem" -noout -fingerprint -sha256)"
check openssl verify -CAfile "$work/tls/ca.pem" "$work/tls/server.pem"
check "$hemd" cert --out "$work/tls2" --host a --new-ca >/dev/null
check test "$ca1" != "$(openssl x509 -in "$work/tls2/ca.pem" -noout -fingerprint -sha256)"

# A wrong address is refused with a clear message.
if "$hemd" cert --out "$work/tls3" --ip 300.1.2.3 2>"$work/err"; then check false; else check grep -q "expected an IPv4 or IPv6 address" "$work/err"; fi

# A real TLS 1.2+ handshake: a client that trusts only the CA accepts the server for its name.
"$hemd" cert --out "$work/tls" --host hemd.local --ip 127.0.0.1 >/dev/null
for attempt in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 40000))
  openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$work/tls/server.pem" -key "$work/tls/server.key" \
    -tls1_2 -www >/dev/null 2>&1 &
  server_pid=$!
  sleep 0.5
  kill -0 $server_pid 2>/dev/null && break
done
result=$(echo | openssl s_client -connect "127.0.0.1:$port" -CAfile "$work/tls/ca.pem" -verify_return_error \
  -verify_hostname hemd.local -servername hemd.local 2>&1)
check grep -q "Verify return code: 0 (ok)" <<<"$result"
result=$(echo | openssl s_client -connect "127.0.0.1:$port" -CAfile "$work/tls/ca.pem" -verify_return_error \
  -verify_hostname wrong.example 2>&1)
check grep -qE "num=62|Verify return code: 62" <<<"$result"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
