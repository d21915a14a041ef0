# Dockerfile: the benchgate server and a bench agent, built from this checkout on Debian 12.
#
#   docker build -t benchgated .                      # the server (the last stage, default)
#   docker build -t benchgate-agent --target agent .  # a bench agent: benchgate serve
#
# Stages: build (compilers and -dev packages, the two programs), web (npm ci of the
# dashboard's uPlot), agent (the CLI, git, valgrind and a C toolchain for the projects'
# builds) and server (benchgated, its runtime libraries, the dashboard). Both final images
# run as the unprivileged user benchgate (uid 10001). docker-compose.yml runs them together;
# docs/operations.md explains the deployment.

# ---- build: benchgated and benchgate, RelWithDebInfo, no tests ----
FROM debian:12-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libmicrohttpd-dev libsqlite3-dev libcjson-dev libcurl4-openssl-dev libyaml-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the build reads: the programs' sources, the migrations they embed, and tests/
# because the top-level CMakeLists.txt configures it (its targets are not built).
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY lib/ lib/
COPY server/ server/
COPY agent/ agent/
COPY schema/ schema/
COPY tests/ tests/
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && cmake --build build -j "$(nproc)" --target benchgated benchgate-cli \
 && build/bin/benchgated --version && build/bin/benchgate --version

# ---- web: the dashboard's npm dependency (uPlot), exactly as web/package-lock.json pins it ----
FROM node:20-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# ---- agent: benchgate serve on a bench machine ----
FROM debian:12-slim AS agent
# libcjson1, libcurl4, libyaml-0-2: what benchgate links; git: checkouts of the commits;
# valgrind: instruction counts without a PMU (callgrind); build-essential: the projects'
# builds (extend this image with what your projects' builds need).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcjson1 libcurl4 libyaml-0-2 ca-certificates git valgrind build-essential \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/benchgate-agent \
      --shell /usr/sbin/nologin benchgate \
 && install -d -o benchgate -g benchgate -m 750 /var/lib/benchgate-agent
COPY --from=build /src/build/bin/benchgate /usr/local/bin/benchgate
ENV CI=1
USER benchgate
WORKDIR /var/lib/benchgate-agent
# The cache clones, the running job's checkout and the spool (agent.yml's workdir).
VOLUME ["/var/lib/benchgate-agent"]
ENTRYPOINT ["benchgate", "serve"]
CMD ["--config", "/etc/benchgate/agent.yml"]

# ---- server: benchgated with the dashboard (the default target) ----
FROM debian:12-slim AS server
# The libraries benchgated links (libssl3 carries libcrypto), ca-certificates for GitHub's
# API, curl for the HEALTHCHECK.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libmicrohttpd12 libsqlite3-0 libcjson1 libcurl4 libssl3 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/benchgate \
      --shell /usr/sbin/nologin benchgate \
 && install -d -o benchgate -g benchgate -m 750 /var/lib/benchgate
COPY --from=build /src/build/bin/benchgated /usr/local/bin/benchgated
COPY web/ /usr/share/benchgate/web/
COPY --from=web /web/node_modules/ /usr/share/benchgate/web/node_modules/
USER benchgate
WORKDIR /var/lib/benchgate
# The SQLite database with its -wal and -shm files; a new named volume takes this
# directory's owner (benchgate) from the image.
VOLUME ["/var/lib/benchgate"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD curl -fsS -o /dev/null --max-time 4 http://127.0.0.1:8080/healthz || exit 1
# Further flags (--public-url, --github-token-file, --webhook-secret-file, --private, ...)
# come as the container's command: `docker run IMAGE --public-url https://...`.
ENTRYPOINT ["benchgated", "--db", "/var/lib/benchgate/benchgate.db", \
            "--listen", "0.0.0.0:8080", "--web", "/usr/share/benchgate/web"]
CMD []
