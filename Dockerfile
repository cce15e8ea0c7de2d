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
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/filters ./filters
USER node
EXPOSE 8080 9090
ENTRYPOINT ["node", "bin/junction.js"]
CMD ["serve"]
