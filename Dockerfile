# Chatbot Analytics Lab: multi-stage image. Not exercised by CI (no Docker engine there).
#   docker build -t chatlab .            docker run -p 8000:8000 -v "$PWD/data:/app/data" chatlab

# --- build: compile better-sqlite3, the TypeScript and the dashboard, then drop dev dependencies
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts are skipped here (`prepare` would build before the sources are copied);
# better-sqlite3's native build is the one install script the lab needs.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

# --- runtime: only what `chatlab serve` needs, as a non-root user
FROM node:20-bookworm-slim
# fonts for chart text in PDF reports; pg_dump/pg_restore for backups of a PostgreSQL lab
RUN apt-get update && apt-get install -y --no-install-recommends fonts-liberation postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    CHATLAB_AUTH=required \
    DATA_DIR=/app/data \
    LOG_DIR=/app/logs \
    MODEL_DIR=/app/models \
    RUNS_DIR=/app/pipeline_runs \
    BACKUP_DIR=/app/backups \
    DATASET_DIR=/app/Dataset
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/examples ./examples
RUN mkdir -p data logs models pipeline_runs backups Dataset && chown -R node:node /app
USER node
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "bin/chatlab.js", "serve"]
