# Junction: build once, run `junction serve` (see README.md and docs/deploy.md).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY filters ./filters
RUN npm ci --ignore-scripts --no-audit --no-fund && npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# What `junction serve` reads at run time: package.json's "files" (bin, dist/src, dashboard, filters),
# package.json itself (the version) and the production dependencies.
# test/deploy/dockerfile.test.ts checks this list against the folders the code loads.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/filters ./filters
COPY dashboard ./dashboard
# The embedded store (serve without --etcd) keeps its data in /data, owned by the user Junction runs as;
# mount a volume there to keep it across containers.
RUN mkdir -p /data && chown node:node /data
ENV JUNCTION_DATA_DIR=/data
VOLUME /data
USER node
EXPOSE 8080 8443 9090
ENTRYPOINT ["node", "bin/junction.js"]
CMD ["serve"]
