#!/usr/bin/env bash
# Runs RabbitMQ from the Debian package in the foreground, as an Aspire executable resource.
# Inputs (environment): OAUTH_DATA_DIR, OAUTH_AMQP_PORT, OAUTH_DIST_PORT, OAUTH_EPMD_PORT,
# OAUTH_MANAGEMENT_PORT, OAUTH_RABBITMQ_USER, OAUTH_RABBITMQ_PASSWORD. epmd runs as its own
# resource on OAUTH_EPMD_PORT, so nothing is left behind when the AppHost stops. The management
# plugin (HTTP API on 127.0.0.1:OAUTH_MANAGEMENT_PORT) is how the AppHost creates the services'
# logins; the administrator defined here is the only account with the administrator tag. It collects
# no statistics: nothing here reads them, and on two cores every cycle belongs to the services.
set -euo pipefail
: "${OAUTH_DATA_DIR:?}" "${OAUTH_AMQP_PORT:?}" "${OAUTH_DIST_PORT:?}" "${OAUTH_EPMD_PORT:?}" "${OAUTH_MANAGEMENT_PORT:?}"
: "${OAUTH_RABBITMQ_USER:?}" "${OAUTH_RABBITMQ_PASSWORD:?}"

server=/usr/lib/rabbitmq/bin/rabbitmq-server
ctl=/usr/lib/rabbitmq/bin/rabbitmqctl
[ -x "$server" ] || { echo "RabbitMQ is not installed (apt-get install rabbitmq-server)" >&2; exit 1; }

r=$OAUTH_DATA_DIR/rabbitmq
mkdir -p "$r/mnesia" "$r/log"
echo '[rabbitmq_management].' > "$r/enabled_plugins"
cat > "$r/rabbitmq.conf" <<CONF
loopback_users = none
log.console = true
log.console.level = warning
log.file = false
management.tcp.ip = 127.0.0.1
management.tcp.port = $OAUTH_MANAGEMENT_PORT
management.rates_mode = none
management_agent.disable_metrics_collector = true
CONF

export HOME=$r
export RABBITMQ_NODENAME=oauth-$OAUTH_AMQP_PORT@localhost
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$OAUTH_AMQP_PORT
export RABBITMQ_DIST_PORT=$OAUTH_DIST_PORT
export ERL_EPMD_PORT=$OAUTH_EPMD_PORT
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_MNESIA_BASE=$r/mnesia
export RABBITMQ_LOG_BASE=$r/log
# Crash dumps of the server or rabbitmqctl land with the logs, not in the working directory (the repo).
export ERL_CRASH_DUMP=$r/log/erl_crash.dump
export RABBITMQ_CONFIG_FILE=$r/rabbitmq.conf
export RABBITMQ_ENABLED_PLUGINS_FILE=$r/enabled_plugins
export RABBITMQ_DEFAULT_USER=$OAUTH_RABBITMQ_USER
export RABBITMQ_DEFAULT_PASS=$OAUTH_RABBITMQ_PASSWORD

"$server" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT

# The default user is created only on a fresh node: re-apply the password at every start so a
# regenerated AppHost parameter still works. The password goes through stdin, not argv.
(
  for _ in $(seq 1 120); do
    if "$ctl" -q -n "$RABBITMQ_NODENAME" await_startup --timeout 1 >/dev/null 2>&1; then
      "$ctl" -q -n "$RABBITMQ_NODENAME" add_user "$OAUTH_RABBITMQ_USER" >/dev/null 2>&1 <<<"$OAUTH_RABBITMQ_PASSWORD" || true
      "$ctl" -q -n "$RABBITMQ_NODENAME" change_password "$OAUTH_RABBITMQ_USER" >/dev/null <<<"$OAUTH_RABBITMQ_PASSWORD" &&
        "$ctl" -q -n "$RABBITMQ_NODENAME" set_user_tags "$OAUTH_RABBITMQ_USER" administrator >/dev/null &&
        "$ctl" -q -n "$RABBITMQ_NODENAME" set_permissions -p / "$OAUTH_RABBITMQ_USER" '.*' '.*' '.*' >/dev/null &&
        echo "RabbitMQ ready on 127.0.0.1:$OAUTH_AMQP_PORT"
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
) &

while kill -0 "$pid" 2>/dev/null; do
  wait "$pid" || true
done
