#!/usr/bin/env bash
# House rules that a compiler does not check: every C++ file is clang-formatted, strategies/ stays pure
# (values in, decisions out: no I/O, no clock, no threads, no driver headers), folders depend one way, and
# SQL stays in drivers/storage.
set -uo pipefail
cd "$1"
passed=0
failed=0

mapfile -t sources < <(git ls-files --cached --others --exclude-standard -- '*.cpp' '*.h' | grep -v '^build')
for f in "${sources[@]}"; do
  [ -f "$f" ] || continue
  if clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then passed=$((passed + 1)); else
    echo "not clang-formatted: $f (run: clang-format -i $f)"
    failed=$((failed + 1))
  fi
done

impure=$(grep -rnE '#include *[<"](drivers/|daemon/|modbus|curl|mqtt|websocketpp|sqlite3|fstream|iostream|thread|mutex|filesystem)|(system_clock|steady_clock|high_resolution_clock)::now|std::(cout|cerr)|fopen\(|getenv\(|\btime\(' strategies 2>/dev/null)
if [ -n "$impure" ]; then
  echo "strategies/ must stay pure; these lines reach outside:"
  echo "$impure"
  failed=$((failed + 1))
else
  passed=$((passed + 1))
fi

# Folders depend one way: daemon -> sim -> drivers -> config -> strategies. The simulators (sim/) are for the
# demo and the tests; no driver a real site runs may reach them.
upward=$(grep -rnE '#include *"daemon/' sim drivers config strategies 2>/dev/null
  grep -rnE '#include *"sim/' drivers config strategies 2>/dev/null
  grep -rnE '#include *"drivers/' config strategies 2>/dev/null
  grep -rnE '#include *"config/' strategies 2>/dev/null)
if [ -n "$upward" ]; then
  echo "folders depend one way (daemon -> sim -> drivers -> config -> strategies); these lines reach up:"
  echo "$upward"
  failed=$((failed + 1))
else
  passed=$((passed + 1))
fi

# SQL lives in drivers/storage: the daemon records and reads typed rows (drivers/storage/tables.h).
sql=$(grep -rnE 'INSERT (OR [A-Z]+ )?INTO|SELECT |UPDATE [a-z_]+ SET|DELETE FROM' daemon 2>/dev/null)
if [ -n "$sql" ]; then
  echo "SQL belongs in drivers/storage (tables.h), not in daemon/:"
  echo "$sql"
  failed=$((failed + 1))
else
  passed=$((passed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
