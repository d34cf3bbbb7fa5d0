"""Import the models and configure their mappers; print what SQLAlchemy made of them, as JSON.

claims/mutations.py runs `python -m claims.probe` in its copy of the tree before the tests of
each mutation. It prints `{}` when the models configure cleanly. When SQLAlchemy raises, it
prints the verdict "refused": no test could run. When SQLAlchemy warns, it prints "killed at
configuration": the suite turns every warning into an error, and the app configures the mappers
as it is imported (a query built at import needs them), so every run of the suite fails.
"""

from __future__ import annotations

import json
import warnings


def probe() -> dict[str, str]:
    """Configure the models; return the verdict and the message, or nothing if all is well."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            from sqlalchemy.orm import configure_mappers  # noqa: PLC0415

            import blog  # noqa: F401, PLC0415 - importing the app configures the mappers

            configure_mappers()
        except Exception as exc:  # any error: SQLAlchemy refused the models
            return {"verdict": "refused", "detail": f"{type(exc).__name__}: {exc}"}
    for warning in caught:
        if warning.category.__module__.startswith("sqlalchemy"):
            detail = f"{warning.category.__name__}: {warning.message}"
            return {"verdict": "killed at configuration", "detail": detail}
    return {}


if __name__ == "__main__":
    print(json.dumps(probe()))
