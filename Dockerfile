# teabot: one image for the web process (`teabot serve`, the default) and the job workers (`teabot worker`).
#   docker build -t teabot .
#   docker run -p 8080:8080 -v teabot-data:/data --env-file .env teabot            # web
#   docker run --env-file .env teabot worker                                       # a worker (needs REDIS_URL)
# docker-compose.yaml runs both with Redis. Settings come from the environment (see README.md).

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: a wheel of teabot, installed with its dependencies into a virtualenv ---------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY . .
# The wheel carries workflows/ and skills/ as bot/bundled/ (symlinks in the source tree, files in the wheel).
# Its dependencies are installed at the versions requirements/constraints.txt pins, so rebuilding the
# image later gives the same libraries.
RUN python -m pip wheel --no-deps --wheel-dir /wheels . \
 && python -m venv /opt/teabot \
 && /opt/teabot/bin/pip install -c requirements/constraints.txt /wheels/teabot-*.whl

# --- run: the virtualenv on a clean slim image, as an unprivileged user ------------------------------
FROM ${PYTHON_IMAGE}
# HOME must be writable by the user: libraries keep caches and sockets there.
ENV PATH=/opt/teabot/bin:$PATH \
    HOME=/home/teabot \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TEABOT_DATA_DIR=/data
RUN groupadd --system --gid 10001 teabot \
 && useradd --system --uid 10001 --gid teabot --home-dir /home/teabot --create-home --shell /usr/sbin/nologin teabot \
 && mkdir -p /data \
 && chown teabot:teabot /data
COPY --from=builder /opt/teabot /opt/teabot
WORKDIR /home/teabot
USER 10001:10001
# The spool of deliveries that arrived while Redis was down, and a generated webhook secret: keep them.
VOLUME ["/data"]
EXPOSE 8080
# The web process's health (slim images have no curl). Workers have no HTTP port: docker-compose.yaml
# gives them their own check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["teabot"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
