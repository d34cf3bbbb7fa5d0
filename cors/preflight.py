"""The CORS layer's check before `bin/app serve`: the settings, `CORS_ORIGINS` with them, failing
as the core's check does, with a line on stderr and status 2 (`python -m cors.preflight`)."""

import sys

from blog import preflight
from cors import CorsSettings

if __name__ == "__main__":
    sys.exit(preflight.main(CorsSettings))
