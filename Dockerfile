# The API image, in stages:
#   builder  a virtual environment with the app and its pinned runtime dependencies
#   app      the slim image that runs it, as a non-root user
#   test     app plus the test dependencies and the tests (docker compose run --rm tests)
#   runtime  app again, last so that it is what a plain `docker build .` makes

ARG PYTHON_IMAGE=python:3.14-slim-trixie

FROM ${PYTHON_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH


FROM base AS builder
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml constraints.txt README.md ./
# Dependencies first, from pyproject.toml alone: this layer is reused until they change.
RUN python -m pip install --constraint constraints.txt --upgrade pip \
    && python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > requirements.txt \
    && python -m pip install --constraint constraints.txt --requirement requirements.txt
# The app and, when the tree has it, the demo layer: pyproject.toml says which packages go in.
COPY . .
RUN python -m pip install --constraint constraints.txt --no-deps .


FROM builder AS test-builder
RUN python -m pip install --constraint constraints.txt --group test


FROM base AS app
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent app
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
# Only what the containers run: the code is in the virtual environment; these are the tools.
COPY alembic.ini gunicorn.conf.py ./
COPY migrations ./migrations
COPY bin ./bin
USER 10001:10001
# gunicorn listens on every interface of the container; only the proxy reaches it (compose).
ENV HOST=0.0.0.0
EXPOSE 8000
CMD ["bin/app", "serve"]


FROM app AS test
# The suite of `make test`, against the db service; the tests that start processes of their
# own (tests/system, make system-test) are not run here.
# The source tree is read-only to the app user: pytest keeps no cache in it, and Hypothesis
# (under the clients layer's fuzz tests) keeps its own in /tmp.
ENV PYTEST_ADDOPTS="-p no:cacheprovider" \
    HYPOTHESIS_STORAGE_DIRECTORY=/tmp/hypothesis
COPY --from=test-builder /opt/venv /opt/venv
# The whole project as .dockerignore lets it through: besides the code, the tests read the
# README, the guide, the compose file and the model sources.
COPY . .
CMD ["bin/app", "test"]


FROM app AS runtime
