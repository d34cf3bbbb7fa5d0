"""The demo data and its safeguards in production: a layer (demo/README.md)."""
