#!/bin/sh
# Runs once, when the PostgreSQL container initialises its data folder: the two roles of deploy/README.md.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE ROLE decisions_owner LOGIN PASSWORD '${OWNER_DB_PASSWORD}';
CREATE ROLE decisions_app LOGIN PASSWORD '${APP_DB_PASSWORD}';
CREATE DATABASE decisions OWNER decisions_owner;
SQL
