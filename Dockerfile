# syntax=docker/dockerfile:1
# tradelog image: docs/operations.md ("Install with Docker") explains how to run it, docker-compose.yml is the
# recommended way. Build: docker build -t tradelog .
#
# Stages: `toolchain` (Node + the compilers better-sqlite3 needs when no prebuilt binary fits) → `build` (all
# dependencies, TypeScript → dist/ bundle) and `prod-deps` (production dependencies only) → the runtime image, which has
# no compiler, no dev dependency and no source: bin/tradelog runs dist/ when src/ is absent.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS toolchain
# python3, make, g++: node-gyp builds better-sqlite3 from source when no prebuilt binary matches.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app

FROM toolchain AS build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs ./scripts/
COPY src ./src
# Bundles src/ into dist/ (esbuild) and copies the SQL migrations (and other non-TypeScript files) beside it.
RUN npm run build

FROM toolchain AS prod-deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
  && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# tini: PID 1 that passes SIGTERM from `docker stop` on to the app (which then checkpoints the WAL and closes the
# databases) and reaps zombies. setpriv (util-linux, already in the base image) drops root for the PUID/PGID path.
# The base image's `node` user (uid/gid 1000) becomes `app`, the fixed uid/gid 1000 the data volume belongs to.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/* \
  && usermod --login app --home /app --shell /usr/sbin/nologin node \
  && groupmod --new-name app node \
  && test "$(id -u app):$(id -g app)" = "1000:1000" \
  && mkdir -p /app/data \
  && chown app:app /app/data \
  && chmod 0750 /app/data

ENV NODE_ENV=production \
    PATH=/app/bin:$PATH \
    TRADELOG_DATA_DIR=/app/data \
    TRADELOG_HOST=0.0.0.0 \
    TRADELOG_PORT=5000

WORKDIR /app
# Everything the app runs from is root-owned and read-only to it; only /app/data is the app's.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# --chmod: the executable bits must not depend on how the checkout stored them (a Windows clone loses them).
COPY --chmod=0755 bin ./bin
COPY --chmod=0755 docker/entrypoint.sh docker/healthcheck.mjs ./docker/

# One volume: the journal, market data, backups, quarantine and logs. A named volume takes the owner (app) and mode
# (0750) of this directory when Docker creates it.
VOLUME ["/app/data"]
EXPOSE 5000

# The app's user. To hand a bind mount owned by another uid to the app, start as root with PUID/PGID
# (docker-compose.yml shows how): the entrypoint changes the owners, then drops to PUID:PGID.
USER 1000:1000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["node", "/app/docker/healthcheck.mjs"]

# -g: signals go to the whole process group, so a `docker stop` during the start-up doctor stops it too.
ENTRYPOINT ["/usr/bin/tini", "-g", "--", "/app/docker/entrypoint.sh"]
CMD ["tradelog", "serve"]
