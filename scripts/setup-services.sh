#!/bin/bash
# Make sure the servers the test suite talks to are up: PostgreSQL, MariaDB and
# RabbitMQ (installed and started before the session on this kind of machine,
# but a stopped one is started again here), memcached's binary, then the Docker engine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

wait_port() {  # name host port
  for _ in $(seq 1 150); do
    if (exec 3<>"/dev/tcp/$2/$3") 2>/dev/null; then echo "setup-services: $1 ready"; return 0; fi
    sleep 0.2
  done
  echo "setup-services: $1 is not answering on $2:$3" >&2
  return 1
}

up() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

if ! up 127.0.0.1 5432; then
  echo "setup-services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
wait_port PostgreSQL 127.0.0.1 5432

if ! up 127.0.0.1 3306; then
  echo "setup-services: starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi
wait_port MariaDB 127.0.0.1 3306

if ! up 127.0.0.1 5672; then
  echo "setup-services: starting RabbitMQ"
  rabbitmq-server -detached
fi
wait_port RabbitMQ 127.0.0.1 5672

# memcached: the tests start their own (keystonemiddleware's shared token cache).
if ! command -v memcached >/dev/null 2>&1; then
  echo "setup-services: installing memcached"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq memcached >/dev/null
fi

"$here/setup-docker.sh"
