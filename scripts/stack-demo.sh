#!/usr/bin/env bash
# The stack on this machine, with a scan of each kind run through it:
# Redis + PostgreSQL (tests/services/up.sh), `dgp web`, the code and document
# scanner apps, an admin with a random password, two scans of the bundled samples
# submitted through the API, and a findings summary per scan. Everything stops at
# the end, without systemd: `make stack-demo`. (`make demo` deploys the real package.)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
STATE=.cache/stack-demo
mkdir -p "$STATE"
step() { printf '\n== %s\n' "$*"; }
fail() { printf 'demo failed at: %s\n' "$*" >&2; exit 1; }

step "services (Redis, PostgreSQL)"
bash tests/services/up.sh || fail "starting Redis and PostgreSQL"

export DGP_CONFIG=/nonexistent DGP_SECRETS=/nonexistent
export DGP_REDIS_URL=redis://127.0.0.1:6399/0 DGP_KEY_PREFIX=dgpdemo
export DGP_DATABASE_URL=postgresql:///dgp_demo
[ -s "$STATE/hash.key" ] || (umask 077; openssl rand -hex 32 > "$STATE/hash.key")
DGP_HASH_KEY=$(cat "$STATE/hash.key"); export DGP_HASH_KEY

step "database"
dropdb --if-exists dgp_demo && createdb dgp_demo || fail "creating the demo database"
redis-cli -p 6399 --scan --pattern 'dgpdemo:*' | xargs -r redis-cli -p 6399 del >/dev/null
"$BIN/dgp" db migrate || fail "dgp db migrate"

step "first admin (no default accounts: a random password)"
PASSWORD=$(openssl rand -base64 18)
echo "$PASSWORD" | "$BIN/dgp" user create --org demo --create-org --email admin@demo.example \
    --admin || fail "dgp user create"
TOKEN=$("$BIN/dgp" token create --email admin@demo.example --name demo \
    --scope scans:write --scope scans:read --scope findings:read 2>/dev/null) || fail "dgp token create"

step "dgp web, dgp scanner code, dgp scanner document"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
"$BIN/dgp" web >"$STATE/web.log" 2>&1 & pids+=($!)
"$BIN/dgp" scanner code >"$STATE/code.log" 2>&1 & pids+=($!)
"$BIN/dgp" scanner document >"$STATE/document.log" 2>&1 & pids+=($!)
for port in 5000 5001 5004; do
    for _ in $(seq 100); do
        curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
        sleep 0.2
    done
    curl -fs "http://127.0.0.1:$port/health" >/dev/null || fail "the service on port $port (see $STATE/*.log)"
done

SERVER=http://127.0.0.1:5000
for pair in code:samples/code document:samples/documents; do
    kind=${pair%%:*} target=${pair#*:}
    step "a $kind scan of $target through the API"
    out=$("$BIN/dgp" submit "$kind" "$target" --server "$SERVER" --token "$TOKEN" --wait) \
        || fail "the $kind scan: $out"
    echo "$out"
    scan_id=${out%% *}
    curl -fs -H "Authorization: Bearer $TOKEN" \
        "$SERVER/api/v1/scans/$scan_id/findings?limit=1000" | "$BIN/python" -c '
import collections, json, sys
page = json.load(sys.stdin)
items = page.get("items") or page.get("findings") or []
by = collections.Counter(f["severity"] for f in items)
rules = collections.Counter(f["rule_id"] for f in items)
print("findings:", page.get("total", len(items)), dict(sorted(by.items())))
print("top rules:", ", ".join(f"{r} x{n}" for r, n in rules.most_common(6)))
' || fail "reading the findings of the $kind scan"
done

step "done"
echo "API:      $SERVER/api/v1  (health: $SERVER/health, API document: $SERVER/openapi.json)"
echo "login:    admin@demo.example / $PASSWORD   (POST $SERVER/api/v1/session)"
echo "services stop now; 'make demo' starts them again with a fresh database"
