FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY commands commands
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# The alert graph's text: resvg draws only with fonts it finds, and the slim image has none.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json services.yaml ./
COPY runbooks runbooks
USER node
EXPOSE 3000
# The port the bot listens on: PORT when set.
HEALTHCHECK CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# A young generation of 4 MB semi-spaces, not 16: the bot's heap is small and mostly
# short-lived, and with 10,000 open incidents this keeps RSS near 120 MB instead of 190 MB.
# --optimize-for-size has V8 collect the old generation before it grows far: without it,
# the start-up burst (every open incident checked against Slack) peaked at 186-204 MB,
# with it at 133-135 MB. npm run bench:metrics runs the bot with this very command line.
CMD ["node", "--max-semi-space-size=4", "--optimize-for-size", "dist/src/main.js"]
