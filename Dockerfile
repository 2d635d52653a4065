# One image for the API, the workers and the migrations; the command chooses:
#   API:        node dist/apps/api/src/main.js   (the default CMD)
#   worker:     node dist/apps/worker/src/main.js
#   migrations: node dist/apps/cli/src/main.js migrate
# The Helm chart (helm/baton) sets these as container args, so the ENTRYPOINT
# (tini) stays PID 1 whatever runs.
#
#   docker build -t baton:0.1.0 .
#
# No `# syntax=` line: BuildKit would pull that frontend from a registry
# before reading anything else, which fails on a host without one, and its
# built-in frontend reads everything below. A build needs NODE_IMAGE (loaded
# locally, or in a registry the host reaches), an npm registry and the Debian
# mirror of the base image's apt sources (for tini); an npm mirror is
#   docker build --build-arg NPM_CONFIG_REGISTRY=https://npm.example.internal/ ...
# (unset, npm keeps its default or the base image's npmrc).
#
# BUILD_IMAGE is the base of the stages that run npm (NODE_IMAGE unless
# given): a host whose outbound TLS is re-signed builds one with its CA
# bundle (.ci/image/base-image does), so that npm trusts it there while the
# runtime stage, FROM NODE_IMAGE, never carries it:
#   docker build --build-arg BUILD_IMAGE=baton-build-base:local ...

ARG NODE_IMAGE=node:20-bookworm-slim
ARG BUILD_IMAGE=${NODE_IMAGE}

# All dependencies, dev and optional ones included, for the TypeScript build
# (tsc needs PGlite's types for the embedded PostgreSQL of `npm start`).
FROM ${BUILD_IMAGE} AS deps
ARG NPM_CONFIG_REGISTRY
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# Compiles apps/ and libs/ into dist/ (tsc, then tsc-alias rewrites the
# @baton/* paths); the build script also copies the invoice worker's fonts
# (libs/jobs/src/invoices/fonts) and the dashboard's page and files
# (apps/api/src/dashboard/public) into dist/, which is how they reach the
# image. .dockerignore keeps apps/standalone out: it is `npm start`, not a
# production process, and cannot run without PGlite, which the image omits.
FROM deps AS build
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build

# What the API, the workers and the CLI load, and nothing else:
#   --omit=dev       the build and test tools;
#   --omit=optional  PGlite (only `npm start` loads it, on demand), and
#                    ts-node with the typescript and @types/node it needs:
#                    dev dependencies, but also typeorm's optional peer, so
#                    npm marks them dev-or-optional and --omit=dev alone
#                    keeps them. pg-cloudflare and @pkgjs/parseargs go too:
#                    pg and jackspeak load them only on Cloudflare Workers
#                    and on Node < 18.11;
#   --omit=peer      what npm would install only to satisfy a peer
#                    dependency: a peer the processes load belongs in
#                    package.json's dependencies.
# fontkit, which parses the invoice worker's fonts at start, is a plain
# dependency and stays; the fonts themselves come with dist/.
FROM ${BUILD_IMAGE} AS prod-deps
ARG NPM_CONFIG_REGISTRY
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --omit=peer --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: it forwards SIGTERM to Node (a process that is PID 1 gets no
# default signal handling) and reaps zombies. Never `npm start`: npm does not
# pass SIGTERM on, and Baton's graceful shutdown hangs on it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the app: the chart also mounts the root
# filesystem read-only, and Baton writes no files.
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The official image's unprivileged user `node`, by number so that the
# kubelet can verify runAsNonRoot.
USER 1000:1000
EXPOSE 3000 9464
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/apps/api/src/main.js"]
