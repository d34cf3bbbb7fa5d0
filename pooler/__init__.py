"""The app behind PgBouncer, and several api replicas through it: a layer (pooler/README.md)."""
