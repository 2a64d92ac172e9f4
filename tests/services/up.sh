#!/usr/bin/env bash
# Start the real services the integration tier needs, on this machine, idempotently:
# a Redis of its own on 127.0.0.1:6399 (appendonly, noeviction, data under
# /var/tmp/dgp-test-redis), the Debian PostgreSQL 15 cluster, with a superuser role for
# the user running the tests (peer authentication over the unix socket: no password), and
# a MariaDB server of its own on 127.0.0.1:3316 and /run/dgp-test-mariadb/mysqld.sock
# (the database scanner's tests; root by unix_socket authentication only, no password:
# the tests make a user with a generated password and databases of their own).
# Tests make their own databases and key prefixes and remove them.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v redis-server >/dev/null || need+=(redis-server)
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql)
[ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Redis: our own instance, so a machine's Redis (and its data) is never touched.
REDIS_DIR="${DGP_TEST_REDIS_DIR:-/var/tmp/dgp-test-redis}"  # one place, whichever checkout restarts it
mkdir -p "$REDIS_DIR"
if ! redis-cli -p 6399 ping >/dev/null 2>&1; then
    redis-server --port 6399 --bind 127.0.0.1 --dir "$REDIS_DIR" --daemonize yes \
        --appendonly yes --appendfsync everysec --maxmemory-policy noeviction \
        --save "" --logfile "$REDIS_DIR/redis.log" --pidfile "$REDIS_DIR/redis.pid"
    for _ in $(seq 50); do redis-cli -p 6399 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
redis-cli -p 6399 ping >/dev/null

# PostgreSQL: the Debian cluster, started if it is down.
if ! pg_lsclusters -h | awk '$1 == 15 && $2 == "main" && $4 == "online"' | grep -q .; then
    pg_ctlcluster 15 main start
fi
me=$(id -un)
if ! su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname = '$me'\"" | grep -q 1; then
    su postgres -c "psql -qc 'CREATE ROLE \"$me\" SUPERUSER LOGIN'"
fi
# MariaDB: our own server (never the machine's), data under /var/tmp/dgp-test-mariadb.
MARIADB_DIR="${DGP_TEST_MARIADB_DIR:-/var/tmp/dgp-test-mariadb}"
MARIADB_RUN=/run/dgp-test-mariadb
mkdir -p "$MARIADB_RUN"
chown mysql:mysql "$MARIADB_RUN"
if ! mariadb-admin --socket="$MARIADB_RUN/mysqld.sock" ping >/dev/null 2>&1; then
    if [ ! -d "$MARIADB_DIR/data/mysql" ]; then
        mkdir -p "$MARIADB_DIR/data"
        chown -R mysql:mysql "$MARIADB_DIR"
        mariadb-install-db --user=mysql --datadir="$MARIADB_DIR/data" \
            --auth-root-authentication-method=socket --skip-test-db >/dev/null
    fi
    # setsid: the server outlives this script and the shell that ran it
    setsid mariadbd --user=mysql --datadir="$MARIADB_DIR/data" --bind-address=127.0.0.1 \
        --port=3316 --socket="$MARIADB_RUN/mysqld.sock" --pid-file="$MARIADB_RUN/mysqld.pid" \
        --log-error="$MARIADB_DIR/error.log" --skip-name-resolve --max-connections=200 \
        </dev/null >/dev/null 2>&1 &
    for _ in $(seq 100); do
        mariadb-admin --socket="$MARIADB_RUN/mysqld.sock" ping >/dev/null 2>&1 && break
        sleep 0.2
    done
fi
mariadb-admin --socket="$MARIADB_RUN/mysqld.sock" ping >/dev/null
echo "services up: redis 127.0.0.1:6399, postgresql 15 (unix socket)," \
    "mariadb 127.0.0.1:3316 ($MARIADB_RUN/mysqld.sock)"
