# The kefu cloud. Build: docker build -t kefu-cloud .   (see docker-compose.yml)
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    ELECTRON_SKIP_BINARY_DOWNLOAD=1 \
    ONNXRUNTIME_NODE_INSTALL=skip
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY schema/package.json schema/
COPY match/package.json match/
COPY migrations/package.json migrations/
COPY sync-rules/package.json sync-rules/
COPY cloud/package.json cloud/
COPY agent/package.json agent/
COPY electron/package.json electron/
COPY cli/package.json cli/
COPY e2e/package.json e2e/
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund
COPY . .
USER node
EXPOSE 8787
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:8787/api/v1/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["node", "bin/kefu.js", "cloud", "--host", "0.0.0.0", "--port", "8787"]
