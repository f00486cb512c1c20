-- PostgreSQL for kehou (PostgreSQL 13 or later): one role, one database it owns.
-- Run as the postgres superuser:  psql -v password="'…'" -f deploy/postgres.sql
-- kehou creates and migrates its tables itself at start (`kehou migrate` does it alone).
CREATE ROLE kehou LOGIN PASSWORD :password;
CREATE DATABASE kehou OWNER kehou ENCODING 'UTF8' TEMPLATE template0;
-- Nobody else connects to it.
REVOKE ALL ON DATABASE kehou FROM PUBLIC;
