"""The database kind: personal data in PostgreSQL, MySQL/MariaDB and SQLite, sampled."""
