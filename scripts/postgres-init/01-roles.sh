#!/bin/sh
# Runs once, when the PostgreSQL volume is first created (docker-entrypoint-initdb.d), as the
# bootstrap superuser: the owner role owns the database and runs the migrations; the app role
# owns nothing and gets row access from `flask db-grant-app-role` after each migration.
# An existing database: run the same statements by hand (docs/deployment.md).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v owner_password="$DB_OWNER_PASSWORD" -v app_password="$DB_APP_PASSWORD" <<'SQL'
CREATE ROLE referral_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE referral_app LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
ALTER DATABASE referral OWNER TO referral_owner;
ALTER SCHEMA public OWNER TO referral_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON DATABASE referral FROM PUBLIC;
GRANT CONNECT ON DATABASE referral TO referral_owner, referral_app;
GRANT USAGE ON SCHEMA public TO referral_app;
-- Tables the owner creates later are usable by the app (the audit exceptions are applied by
-- `flask db-grant-app-role referral_app` after each migration).
ALTER DEFAULT PRIVILEGES FOR ROLE referral_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO referral_app;
ALTER DEFAULT PRIVILEGES FOR ROLE referral_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO referral_app;
SQL
