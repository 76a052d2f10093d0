#!/bin/bash
# Install (from Debian's packages) and start the servers the test suite talks to,
# on a machine that may have none of them and no systemd: PostgreSQL, MariaDB,
# RabbitMQ, memcached's binary, then the Docker engine (setup-docker.sh).
#
# Idempotent: a server already answering is left alone; one installed but stopped
# is started the way Debian's own scripts start it, without systemctl.
#
# The credentials the tests use (tests/support/databases.py):
#   PostgreSQL  postgres@127.0.0.1:5432 without a password (a `trust` line for the
#               postgres role from 127.0.0.1, added once, marked "moorage tests"),
#               and a database `test`
#   MariaDB     root@127.0.0.1:3306 without a password, and a database `test`
#   RabbitMQ    guest:guest@127.0.0.1:5672 (RabbitMQ's default, loopback only)
#
# Environment: SERVICES_WAIT (seconds to wait for each server, default 60).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SERVICES_WAIT=${SERVICES_WAIT:-60}

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

wait_port() {  # name host port
  for _ in $(seq 1 $((SERVICES_WAIT * 5))); do
    if up "$2" "$3"; then echo "setup-services: $1 ready"; return 0; fi
    sleep 0.2
  done
  echo "setup-services: $1 is not answering on $2:$3" >&2
  return 1
}

up() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

apt_updated=""
apt_install() {  # packages...
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  echo "setup-services: installing $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

need=()
[ -x /usr/bin/pg_ctlcluster ] && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
[ -x /usr/sbin/rabbitmq-server ] || need+=(rabbitmq-server)
command -v memcached >/dev/null 2>&1 || need+=(memcached)
if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; fi

# --- PostgreSQL -------------------------------------------------------------
pg_version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! ls /etc/postgresql/"$pg_version"/main >/dev/null 2>&1; then
  $SUDO pg_createcluster "$pg_version" main >/dev/null
fi
hba=/etc/postgresql/$pg_version/main/pg_hba.conf
if ! $SUDO grep -q 'moorage tests' "$hba"; then
  # First match wins in pg_hba.conf: put the tests' line before the defaults.
  $SUDO sed -i '1i host all postgres 127.0.0.1/32 trust  # moorage tests: postgres@127.0.0.1 without a password' "$hba"
  if up 127.0.0.1 5432; then $SUDO pg_ctlcluster "$pg_version" main reload; fi
fi
if ! up 127.0.0.1 5432; then
  echo "setup-services: starting PostgreSQL $pg_version"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start
fi
wait_port PostgreSQL 127.0.0.1 5432
if [ -z "$(psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'")" ]; then
  psql -h 127.0.0.1 -U postgres -qc 'CREATE DATABASE test'
fi

# --- MariaDB ----------------------------------------------------------------
if ! up 127.0.0.1 3306; then
  echo "setup-services: starting MariaDB"
  $SUDO install -d -o mysql -g mysql /run/mysqld
  if [ ! -d /var/lib/mysql/mysql ]; then
    $SUDO mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
  fi
  $SUDO start-stop-daemon --start --oknodo --background --chuid mysql \
    --exec /usr/sbin/mariadbd -- --bind-address=127.0.0.1
fi
wait_port MariaDB 127.0.0.1 3306
# root over TCP from 127.0.0.1 without a password: MariaDB names 127.0.0.1
# `localhost`, so root@localhost takes an empty password besides its unix socket.
if ! mariadb -h 127.0.0.1 -u root -e 'SELECT 1' >/dev/null 2>&1; then
  for _ in $(seq 1 50); do $SUDO mariadb -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
  $SUDO mariadb -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('')"
fi
mariadb -h 127.0.0.1 -u root -e 'CREATE DATABASE IF NOT EXISTS test'

# --- RabbitMQ ---------------------------------------------------------------
if ! up 127.0.0.1 5672; then
  echo "setup-services: starting RabbitMQ"
  $SUDO rabbitmq-server -detached
fi
wait_port RabbitMQ 127.0.0.1 5672

# memcached: the tests start their own (keystonemiddleware's shared token cache).

"$here/setup-docker.sh"
