#!/usr/bin/env bash
# Starts the services the integration tests need when they are down, and waits until they answer:
# MariaDB (a `SELECT 1` through the mariadb client), RabbitMQ (its AMQP port open and `rabbitmqctl
# status` answering), Redis (`redis-cli ping`; node timeouts and timer events keep their deadlines
# there) and PostgreSQL when it is installed (`pg_isready`), whose role and database it then creates from
# scripts/postgres-setup.sql. Exits 0 once all answer, 1 naming the service that did not come up in time.
# Used by .ci/run and by the integration test session (tests/integration/env.py).
#
# Environment (defaults in brackets): MARIADB_HOST [127.0.0.1], MARIADB_PORT [3306], MARIADB_USER [root],
# MARIADB_PASSWORD [empty], AMQP_HOST [127.0.0.1], AMQP_PORT [5672], REDIS_HOST [127.0.0.1], REDIS_PORT
# [6379], POSTGRES_HOST [127.0.0.1], POSTGRES_PORT [5432], BAMBOO_REQUIRE_POSTGRES [0] (1: fail when
# PostgreSQL is not installed instead of leaving it out), BAMBOO_SERVICE_TIMEOUT [120] seconds.
set -euo pipefail

MARIADB_HOST="${MARIADB_HOST:-127.0.0.1}"
MARIADB_PORT="${MARIADB_PORT:-3306}"
MARIADB_USER="${MARIADB_USER:-root}"
MARIADB_PASSWORD="${MARIADB_PASSWORD:-}"
AMQP_HOST="${AMQP_HOST:-127.0.0.1}"
AMQP_PORT="${AMQP_PORT:-5672}"
REDIS_HOST="${REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${REDIS_PORT:-6379}"
POSTGRES_HOST="${POSTGRES_HOST:-127.0.0.1}"
POSTGRES_PORT="${POSTGRES_PORT:-5432}"
REQUIRE_POSTGRES="${BAMBOO_REQUIRE_POSTGRES:-0}"
SERVICE_TIMEOUT="${BAMBOO_SERVICE_TIMEOUT:-120}"
SETUP_SQL="$(dirname "$0")/postgres-setup.sql"

port_open() {  # host port
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

mariadb_ready() {
    local password=()
    if [ -n "$MARIADB_PASSWORD" ]; then
        password=("-p$MARIADB_PASSWORD")
    fi
    mariadb -h "$MARIADB_HOST" -P "$MARIADB_PORT" -u "$MARIADB_USER" "${password[@]}" \
        --connect-timeout=2 -e "SELECT 1"
}

rabbitmq_ready() {
    port_open "$AMQP_HOST" "$AMQP_PORT" && rabbitmqctl -q status
}

redis_ready() {
    [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping)" = "PONG" ]
}

start_redis() {
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no
}

start_mariadb() {
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
}

start_rabbitmq() {
    rabbitmq-server -detached
}

postgres_installed() {
    command -v pg_isready >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null 2>&1
}

postgres_ready() {
    pg_isready -q -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -t 2
}

start_postgres() {
    # Every cluster Debian's postgresql-common knows of (`pg_lsclusters`): version and name.
    local version name
    pg_lsclusters --no-header | while read -r version name _; do
        pg_ctlcluster "$version" "$name" start || true
    done
}

superuser_psql() {  # psql arguments, as a superuser: over TCP where trusted, else as postgres on the socket
    if psql -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U postgres -d postgres -w -c "SELECT 1" >/dev/null 2>&1; then
        psql -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U postgres -d postgres -w -v ON_ERROR_STOP=1 "$@"
    else
        runuser -u postgres -- psql -p "$POSTGRES_PORT" -d postgres -v ON_ERROR_STOP=1 "$@"
    fi
}

ensure() {  # description ready-command start-command
    local description="$1" ready="$2" start="$3"
    if "$ready" >/dev/null 2>&1; then
        echo "== $description is up"
        return
    fi
    echo "== starting $description"
    "$start" || true  # a failed start shows as the service never answering below
    local waited=0
    until "$ready" >/dev/null 2>&1; do
        if [ "$waited" -ge "$SERVICE_TIMEOUT" ]; then
            echo "!! $description did not come up within ${SERVICE_TIMEOUT}s" >&2
            exit 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    echo "== $description is up"
}

ensure "MariaDB ($MARIADB_HOST:$MARIADB_PORT)" mariadb_ready start_mariadb
ensure "RabbitMQ ($AMQP_HOST:$AMQP_PORT)" rabbitmq_ready start_rabbitmq
ensure "Redis ($REDIS_HOST:$REDIS_PORT)" redis_ready start_redis

if postgres_installed; then
    ensure "PostgreSQL ($POSTGRES_HOST:$POSTGRES_PORT)" postgres_ready start_postgres
    superuser_psql -q -f "$SETUP_SQL" >/dev/null
    echo "== PostgreSQL role and database from $(basename "$SETUP_SQL") are there"
elif [ "$REQUIRE_POSTGRES" = "1" ]; then
    echo "!! PostgreSQL is not installed (Debian's postgresql package; .ci/run installs it)" >&2
    exit 1
fi
