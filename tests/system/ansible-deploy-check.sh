#!/bin/bash
# Deploy an example inventory of ansible/ to fresh test hosts, twice, and check it.
#
#   tests/system/ansible-deploy-check.sh all-in-one|three-hosts [--keep]
#
# As root, from anywhere. Brings up test hosts (testhost.py; three-hosts: on one private
# network, db1 = 10.77.0.11, web1 = .12, scan1 = .13), writes an inventory that reaches
# them (testhost.py ansible: the chroot connection with an nsenter wrapper) and runs
#   ansible-playbook -i ansible/inventories/NAME -i <that inventory> ansible/deploy.yml
# twice: the second run must report changed=0 for every host. Then, inside the hosts:
# https://127.0.0.1/health through Nginx is 200, the vaulted admin signs in, PostgreSQL
# and Redis listen where they should, Redis wants its password, a code scan runs. The
# hosts are removed at the end (--keep leaves them up; `testhost.py down NAME`).
# DGP_TEST_DEB names the .deb (default: build/dataguardian_<version>_<arch>.deb).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
layout=${1:-}
keep=${2:-}
case "$layout" in
    all-in-one) map=(dgp=a$$) ;;
    three-hosts) map=(db1=a$$-db web1=a$$-web scan1=a$$-scan) ;;
    *) echo "usage: $0 all-in-one|three-hosts [--keep]" >&2; exit 2 ;;
esac
testhost() { python3 "$here/testhost.py" "$@"; }
inventory=$root/ansible/inventories/$layout
vault_pass=$root/ansible/inventories/DEMO-ONLY-vault-password.txt
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/pyproject.toml")
deb=${DGP_TEST_DEB:-$root/build/dataguardian_${version}_$(dpkg --print-architecture).deb}
[ -f "$deb" ] || { echo "no $deb: run make deb (or set DGP_TEST_DEB)" >&2; exit 2; }
work=$(mktemp -d /tmp/ansible-check.XXXXXX)

hosts=()
for pair in "${map[@]}"; do hosts+=("${pair#*=}"); done
cleanup() {
    if [ "$keep" != --keep ]; then
        for h in "${hosts[@]}"; do testhost down "$h" || true; done
        rm -rf "$work"
    else
        echo "kept: ${hosts[*]} (inventory $work/hosts.yml)"
    fi
}
trap cleanup EXIT

for h in "${hosts[@]}"; do
    if [ "$layout" = three-hosts ]; then testhost up "$h" --network "a$$"; else testhost up "$h"; fi
done
testhost ansible "$work" "${map[@]}" >/dev/null

play() {
    ANSIBLE_FORCE_COLOR=0 ansible-playbook -i "$inventory" -i "$work/hosts.yml" \
        --vault-password-file "$vault_pass" -e "dataguardian_deb=$deb" \
        "$root/ansible/deploy.yml" >"$work/$1.log" 2>&1 || {
        tail -40 "$work/$1.log"
        echo "FAIL: the $1 run failed (log: $work/$1.log)" >&2
        keep=--keep
        exit 1
    }
}
t0=$(date +%s); play first; t1=$(date +%s); play second; t2=$(date +%s)
echo "first run $((t1 - t0)) s, second run $((t2 - t1)) s"
sed -n '/^PLAY RECAP/,$p' "$work/second.log"
if sed -n '/^PLAY RECAP/,$p' "$work/second.log" | grep -E 'changed=[1-9]' >/dev/null; then
    grep -B3 '^changed:' "$work/second.log" || true
    echo "FAIL: the second run changed something" >&2
    exit 1
fi

secret() {
    ansible localhost -c local -o -e "@$inventory/group_vars/all/vault.yml" \
        --vault-password-file "$vault_pass" -m debug -a "msg={{ $1 }}" 2>/dev/null |
        sed 's/.*"msg": "\([^"]*\)".*/\1/'
}
admin_pw=$(secret vault_dataguardian_admin_password)
redis_pw=$(secret vault_dataguardian_redis_password)
db=${hosts[0]}
web=${hosts[0]}
scan=${hosts[0]}
if [ "$layout" = three-hosts ]; then web=${hosts[1]}; scan=${hosts[2]}; fi
on() { testhost exec "$@"; }
fails=0
check() {  # check WHAT EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: want $2, got $3"; fails=$((fails + 1)); fi
}

check "https://127.0.0.1/health through Nginx" 200 \
    "$(on "$web" -- curl -sk -o /dev/null -w '%{http_code}' https://127.0.0.1/health)"
check "http:// redirects to https://" 301 \
    "$(on "$web" -- curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/health)"
login=$(printf '{"email": "admin@example.org", "password": "%s"}' "$admin_pw")
check "the vaulted admin signs in (POST /api/v1/session)" 200 \
    "$(on "$web" -- curl -sk -o /dev/null -w '%{http_code}' -X POST \
        -H 'Content-Type: application/json' --data-binary "$login" https://127.0.0.1/api/v1/session)"
check "Redis refuses a client without the password" "NOAUTH" \
    "$(on "$db" -- redis-cli ping 2>&1 | cut -d' ' -f1)"
check "Redis answers with the password" PONG \
    "$(on "$db" -- redis-cli --no-auth-warning -a "$redis_pw" ping)"
listening() {  # the addresses (not ports) a host listens on for PORT, sorted
    on "$1" -- ss -Hltn "sport = :$2" | awk '{print $4}' | sed 's/:[0-9]*$//' | LC_ALL=C sort | xargs
}
if [ "$layout" = all-in-one ]; then
    check "PostgreSQL listens on loopback only" "127.0.0.1 [::1]" "$(listening "$db" 5432)"
    check "Redis listens on loopback only" "127.0.0.1 [::1]" "$(listening "$db" 6379)"
else
    check "PostgreSQL listens on loopback and 10.77.0.11" "10.77.0.11 127.0.0.1 [::1]" \
        "$(listening "$db" 5432)"
    check "Redis listens on loopback and 10.77.0.11" "10.77.0.11 127.0.0.1 [::1]" \
        "$(listening "$db" 6379)"
    check "the scanner host reaches PostgreSQL (TCP, SCRAM)" "database is up to date" \
        "$(on "$scan" -- runuser -u dataguardian -- dgp db migrate)"
    check "the web host runs no scanner" "" \
        "$(on "$web" -- systemctl list-units --plain --no-legend 'dgp-scanner@*' | awk '{print $1}' | xargs)"
    check "the scanner host runs no web app" inactive \
        "$(on "$scan" -- systemctl is-active dgp-web.service || true)"
    check "consumers: one of code, two of document (none from the web host)" "1 2" \
        "$(on "$web" -- curl -sk https://127.0.0.1/health | python3 -c 'import json, sys
s = json.load(sys.stdin)["scanners"]
print(s["code"]["consumers"]["registered"], s["document"]["consumers"]["registered"])')"
    check "/metrics is refused from another host" 403 \
        "$(on "$scan" -- curl -sk -o /dev/null -w '%{http_code}' https://10.77.0.12/metrics)"
fi
token=$(on "$web" -- runuser -u dataguardian -- dgp token create --email admin@example.org \
    --name deploy-check --scope scans:read --scope scans:write 2>/dev/null)
on "$web" -- sh -c 'mkdir -p /var/tmp/check && echo "bsn = \"111222333\"" > /var/tmp/check/a.py'
check "a code scan ends done" done \
    "$(on "$web" -- env "DGP_TOKEN=$token" timeout 180 dgp submit code /var/tmp/check --wait |
        awk '{print $3}')"
[ "$fails" = 0 ] || { echo "FAIL: $fails checks failed" >&2; exit 1; }
echo "all checks passed"
