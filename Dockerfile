# syntax=docker/dockerfile:1
# Node 26 ("Lithium"): the Active LTS line since October 2026, supported until April 2029. Node 20 left support in
# April 2026 and the AWS SDK drops it in January 2027; 24 is already in maintenance. Every runtime dependency's
# `engines` range admits 26 (ioredis, stripe, @aws-sdk: >=20), and CI (.ci/run) runs the suite on 26.
# scripts/prod-smoke.ts lays out and runs the same tree as this file: keep the two in step.
ARG NODE_IMAGE=node:26-trixie-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bff/src ./bff/src
COPY scripts/migrate.ts scripts/ledger-verify.ts scripts/reconcile.ts ./scripts/
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Only what production runs: the build (server, scripts, migrations), production dependencies, package.json (npm
# start / npm run migrate). Files stay root-owned, so the process can't rewrite its own code.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 3000
CMD ["node", "dist/bff/src/server.js"]
