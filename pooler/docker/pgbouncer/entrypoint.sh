#!/bin/sh
# Write the login PgBouncer accepts (APP_DATABASE_USER, APP_DATABASE_PASSWORD), then run it in
# the foreground, with POOL_SIZE server connections if given.
set -eu
: "${APP_DATABASE_PASSWORD:?APP_DATABASE_PASSWORD must be set}"
user=${APP_DATABASE_USER:-blog_app}
mkdir -p /tmp/pgbouncer
umask 077
# userlist.txt quotes each field in double quotes, and doubles a double quote inside one.
quote() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }
printf '%s %s\n' "$(quote "$user")" "$(quote "$APP_DATABASE_PASSWORD")" > /tmp/pgbouncer/userlist.txt
config=/etc/pgbouncer/pgbouncer.ini
if [ -n "${POOL_SIZE:-}" ]; then
    sed "s/^default_pool_size = .*/default_pool_size = ${POOL_SIZE}/" "$config" > /tmp/pgbouncer/pgbouncer.ini
    config=/tmp/pgbouncer/pgbouncer.ini
fi
exec pgbouncer "$config"
