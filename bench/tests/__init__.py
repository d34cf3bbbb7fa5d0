"""The benchmark layer's in-process tests: its bulk loader (bench/README.md)."""
