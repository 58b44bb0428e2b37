-- The role and database the integration tests, the benchmark and `make demo` use on PostgreSQL
-- (postgres://bamboo:bamboo@127.0.0.1:5432/bamboo). Run by scripts/services.sh as a superuser; safe to
-- run again. CREATEDB: each integration session creates and drops a database of its own.
SELECT 'CREATE ROLE bamboo LOGIN CREATEDB PASSWORD ''bamboo'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bamboo') \gexec
SELECT 'CREATE DATABASE bamboo OWNER bamboo ENCODING ''UTF8'' TEMPLATE template0'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'bamboo') \gexec
