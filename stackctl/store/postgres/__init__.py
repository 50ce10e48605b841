"""The PostgreSQL backend (psycopg 3): `connection` and `schema`; installed with `stackctl[postgres]`."""
