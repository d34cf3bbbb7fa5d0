"""Gives every test folder the suite's fixtures: tests/ and each layer's tests/ alike.

The fixtures live in tests/fixtures.py. They are registered here, once, as a plugin, so that a
layer's tests (claims/tests/, for one) use the same database, app and transaction as the tests
under tests/; a conftest.py under tests/ would reach only those.
"""

pytest_plugins = ["tests.fixtures"]
