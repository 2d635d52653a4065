# syntax=docker/dockerfile:1
#
# One image for the API, the workers and the migrations; the command chooses:
#   API:        node dist/apps/api/src/main.js   (the default CMD)
#   worker:     node dist/apps/worker/src/main.js
#   migrations: node dist/apps/cli/src/main.js migrate
# The Helm chart (helm/baton) sets these as container args, so the ENTRYPOINT
# (tini) stays PID 1 whatever runs.
#
#   docker build -t baton:0.1.0 .

ARG NODE_IMAGE=node:20-bookworm-slim

# All dependencies, dev ones included, for the TypeScript build.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# Compiles apps/ and libs/ into dist/ (tsc, then tsc-alias rewrites the @baton/* paths).
FROM deps AS build
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build

# Production dependencies only.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

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
