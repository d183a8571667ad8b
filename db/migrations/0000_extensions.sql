-- Trigram search on asset names, host names and IPs (works on Postgres and PGlite).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
