#!/usr/bin/env bash
# `make demo`: DataGuardian Pro as an operator deploys it, on this machine.
# Builds the .deb, boots a systemd test host (tests/system/testhost.py), deploys it
# with `ansible-playbook -i ansible/inventories/all-in-one ansible/deploy.yml`, runs
# a scan of every available kind on the bundled samples through the API, and prints
# the URL (Nginx, forwarded to 127.0.0.1:$DGP_DEMO_PORT here), a login and a findings
# summary per scan. The host stays up for a look around; `make demo-down` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
HOST=${DGP_DEMO_HOST:-dgpdemo}
PORT=${DGP_DEMO_PORT:-8443}
STATE=$PWD/.cache/demo
VAULT_PASSWORD=ansible/inventories/DEMO-ONLY-vault-password.txt
mkdir -p "$STATE"
step() { printf '\n== %s\n' "$*"; }
fail() { printf '\ndemo failed at: %s\n' "$*" >&2; exit 1; }
testhost() { python3 tests/system/testhost.py "$@"; }
inside() { testhost exec "$HOST" -- "$@"; }

step "Ansible (Debian's ansible package)"
if ! command -v ansible-playbook >/dev/null; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends ansible >/dev/null; } ||
        fail "installing Debian's ansible"
fi
ansible-playbook --version | sed -n 1p  # sed reads it all: head would close the pipe early (EPIPE)

step "the package (make deb, unless build/ has it for these sources)"
deb=$("$BIN/python" -c 'from tests.system.dgphost import package; print(package())') ||
    fail "building the .deb (make deb)"
echo "$deb"

step "a test host: $HOST (booted systemd, its own network)"
testhost down "$HOST" >/dev/null 2>&1 || true
testhost up "$HOST" || fail "booting the test host (tests/system/README.md)"
testhost ansible "$STATE" "dgp=$HOST" >/dev/null || fail "writing the inventory for the test host"

step "deploy: ansible-playbook -i ansible/inventories/all-in-one ansible/deploy.yml"
if ! ANSIBLE_FORCE_COLOR=0 ansible-playbook -i ansible/inventories/all-in-one \
    -i "$STATE/hosts.yml" --vault-password-file "$VAULT_PASSWORD" \
    -e "dataguardian_deb=$deb" -e dataguardian_allow_private_hosts=true \
    ansible/deploy.yml >"$STATE/deploy.log" 2>&1; then
    tail -30 "$STATE/deploy.log"
    fail "the playbook (whole log: $STATE/deploy.log)"
fi
sed -n '/^PLAY RECAP/,$p' "$STATE/deploy.log"
testhost forward "$HOST" "$PORT" 443 || fail "forwarding 127.0.0.1:$PORT to the host's Nginx"

step "scans of the bundled samples through the API"
email=$("$BIN/python" -c '
import yaml; print(yaml.safe_load(open("ansible/inventories/all-in-one/group_vars/all/main.yml"))["dataguardian_admin_email"])')
password=$(ansible localhost -i localhost, -c local -o -e @ansible/inventories/all-in-one/group_vars/all/vault.yml \
    --vault-password-file "$VAULT_PASSWORD" -m debug -a var=vault_dataguardian_admin_password 2>/dev/null |
    "$BIN/python" -c 'import json, sys; print(json.loads(sys.stdin.read().split("=>", 1)[1])["vault_dataguardian_admin_password"])') ||
    fail "reading the admin's password from the example vault"
token=$(inside runuser -u dataguardian -- dgp token create --email "$email" --name demo \
    --scope scans:write --scope scans:read --scope findings:read 2>/dev/null) || fail "dgp token create"
tar -C samples -c . | inside sh -c 'rm -rf /var/tmp/samples && mkdir -p /var/tmp/samples &&
    tar -C /var/tmp/samples -x' || fail "copying samples/ into the host"
# the website sample is a site served on the host's loopback (the demo deploy allows
# private addresses; the scan asks for them as the admin), scanned over HTTP only
inside sh -c 'setsid python3 -m http.server 8099 --bind 127.0.0.1 \
    --directory /var/tmp/samples/website >/dev/null 2>&1 < /dev/null &' ||
    fail "serving samples/website on the host"
# the api sample is a read-only API as static files, served the same way
inside sh -c 'setsid python3 -m http.server 8098 --bind 127.0.0.1 \
    --directory /var/tmp/samples/api >/dev/null 2>&1 < /dev/null &' ||
    fail "serving samples/api on the host"
kinds=$("$BIN/dgp" kinds --names)
for kind in $kinds; do
    case $kind in
        ai_model) sample=ai_model ;;
        code) sample=code ;;
        document) sample=documents ;;
        website) sample=website ;;
        api) sample=api ;;
        database) sample=database/crm.sqlite ;;  # a SQLite file, uploaded
        image) sample=image ;;
        *) fail "no bundled sample for the $kind scanner (add one under samples/)" ;;
    esac
    echo "-- $kind: samples/$sample"
    target=/var/tmp/samples/$sample
    options=()
    if [ "$kind" = website ]; then
        target=http://127.0.0.1:8099/
        options=(--option mode=http --option allow_private_hosts=true)
    fi
    if [ "$kind" = api ]; then
        target=http://127.0.0.1:8098/
        options=(--option allow_private_hosts=true)
    fi
    out=$(inside env DGP_TOKEN="$token" dgp submit "$kind" "$target" "${options[@]}" --wait \
        </dev/null) || fail "the $kind scan: $out"
    echo "${out##*$'\r'}"
    scan_id=$(printf '%s\n' "$out" | tail -1 | cut -d' ' -f1)
    inside curl -fsS -H "Authorization: Bearer $token" \
        "http://127.0.0.1:5000/api/v1/scans/$scan_id/findings?limit=1000" | "$BIN/python" -c '
import collections, json, sys
page = json.load(sys.stdin)
by = collections.Counter(f["severity"] for f in page["items"])
rules = collections.Counter(f["rule_id"] for f in page["items"])
print("findings:", page["total"], dict(sorted(by.items())))
print("top rules:", ", ".join(f"{r} x{n}" for r, n in rules.most_common(6)))
' || fail "reading the findings of the $kind scan"
done

step "done: DataGuardian Pro runs on test host $HOST"
echo "URL:    https://127.0.0.1:$PORT/  (Nginx, self-signed certificate; the JSON API is under"
echo "        /api/v1, /health, /openapi.json; there is no browser dashboard yet)"
echo "login:  $email / $password  (POST /api/v1/session; the example vault's demo admin)"
echo "shell:  python3 tests/system/testhost.py exec $HOST -- bash"
echo "remove: make demo-down"
