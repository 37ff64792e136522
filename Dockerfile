# Saual's image: the runtime only (no torch, no sentence-transformers, no test
# tools), PostgreSQL and Redis clients, a non-root user. One image runs every
# role: `saual run --webhook` (the default), `saual worker`, `saual index`.
#
#   docker build -t saual .
#
# The index is NOT built here: it holds the answers agencies publish (kept in
# the database), the worker rebuilds it when one is published, and every
# instance must serve the same builds. It lives in a shared volume (INDEX_DIR)
# and the compose file's `init` job builds it at the first start; the embedding
# cache in that volume makes every later build quick (docs/deploy.md).

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/saual
WORKDIR /src
# The dependencies first (a layer that survives code changes), at the exact
# versions CI tests (constraints.txt); then the code itself.
COPY pyproject.toml constraints.txt README.md LICENSE ./
RUN mkdir bot embeddings precincts \
    && /opt/saual/bin/pip install -c constraints.txt '.[pg,redis]' \
    && /opt/saual/bin/pip uninstall -y saual
COPY bot ./bot
COPY embeddings ./embeddings
COPY precincts ./precincts
RUN /opt/saual/bin/pip install --no-deps -c constraints.txt '.[pg,redis]' \
    && /opt/saual/bin/saual --help >/dev/null

FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin saual
COPY --from=build /opt/saual /opt/saual
WORKDIR /app
COPY knowledge ./knowledge
# var/ holds the SQLite file of a single-process set-up and the index volume's
# mount point; a fresh named volume takes this directory's owner.
RUN mkdir -p var/index && chown -R saual:saual var
USER saual
ENV PATH=/opt/saual/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    KNOWLEDGE_DIR=/app/knowledge \
    INDEX_DIR=/app/var/index \
    WEBHOOK_HOST=0.0.0.0 \
    WEBHOOK_PORT=8080
EXPOSE 8080
# /healthz answers 503 when a background loop is dead or failing (README, Webhook).
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
ENTRYPOINT ["saual"]
CMD ["run", "--webhook"]
