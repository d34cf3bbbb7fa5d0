"""The API as clients nobody here wrote meet it: a layer (clients/README.md)."""
