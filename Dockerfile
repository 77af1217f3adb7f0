# One image for the coordinator and the client containers (docker-compose.yml picks the command).
ARG NODE_IMAGE=node:20-bookworm-slim

# Production dependencies only, with better-sqlite3 compiled here (node-gyp needs python3, make and
# g++ when no prebuilt binary fits), so the runtime image carries no compiler.
FROM ${NODE_IMAGE} AS runtime-deps
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
    && node -e "new (require('better-sqlite3'))(':memory:').close()"

# Compiling TypeScript needs the dev dependencies but none of their native parts.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json package-lock.json ./
# `warren` on PATH, so `docker-compose exec client warren` starts a chat; data/ and log/ exist and
# belong to the unprivileged user, so a fresh named volume mounted on data/ inherits that owner.
RUN ln -s /app/dist/client/main.js /usr/local/bin/warren \
    && mkdir -p data log \
    && chown node:node data log
USER node
# node itself (what `npm start` runs): signals reach it directly and the logs carry no npm output.
CMD ["node", "dist/server/main.js"]
