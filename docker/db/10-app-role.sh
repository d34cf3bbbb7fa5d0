#!/bin/sh
# The role the app connects as: it reads and writes rows, and cannot change the schema.
#
# The postgres image runs this once, when its data volume is new (/docker-entrypoint-initdb.d,
# mounted by docker-compose.yml). The owner, POSTGRES_USER, runs the migrations; ALTER DEFAULT
# PRIVILEGES grants the app role the rows of every table, and the sequences, that the owner
# creates later. tests/test_compose.py runs this script too, against a local PostgreSQL.
set -eu
: "${APP_DATABASE_PASSWORD:?APP_DATABASE_PASSWORD must be set}"
owner=${POSTGRES_USER:-postgres}

psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 --username "$owner" --dbname "${POSTGRES_DB:-$owner}" \
    -v owner="$owner" -v app="${APP_DATABASE_USER:-blog_app}" -v password="$APP_DATABASE_PASSWORD" <<'SQL'
CREATE ROLE :"app" LOGIN PASSWORD :'password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
-- Only the owner creates in the schema (PostgreSQL 15 and later already deny it to PUBLIC).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"app";
-- And what is there already, when the script runs on a database that has tables.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
SQL
echo "The app's database role ${APP_DATABASE_USER:-blog_app} is ready: rows, not schema."
