# syntax=docker/dockerfile:1
#
# One multi-stage Dockerfile for every Flywheel service; pick the service with --target:
#
#   docker build --target gateway   -t flywheel/gateway .     # :8080
#   docker build --target feedback  -t flywheel/feedback .    # :8081 (serves widget.js)
#   docker build --target curator   -t flywheel/curator .     # :8082 (serves the console)
#   docker build --target rollouts  -t flywheel/rollouts .    # :8083 (+ flag sync, gRPC :8015)
#   docker build --target simulator -t flywheel/simulator .   # :8090 (fake OpenAI/Anthropic)
#
# build      npm ci + npm run build: the same commands CI runs (.ci/run, npm test), so an image
#            never builds differently from what CI checked
# prod-deps  npm ci --omit=dev: production node_modules only (no jest, eslint, typescript…)
# runtime    node:20 slim + sources + production node_modules + the built web assets, owned by
#            root and run as the unprivileged `node` user (uid 1000); only FLYWHEEL_DATA_DIR
#            (event spools, PGlite) and /tmp need to be writable, so the root FS can be read-only
#
# Each target runs `flywheel start --only <service>` (services/cli): one service, configured by its
# environment, with JSON logs and a graceful drain on SIGTERM (FLYWHEEL_SHUTDOWN_TIMEOUT_MS). It
# runs the compiled bundle `services/cli/dist/flywheel.js` (npm run build, esbuild: the same
# transform tsx applies in `npm start` and the tests) with plain node: no TypeScript compiler in
# the process, faster start and less memory (README "Production build").

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY . .
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
RUN npm run build
# Every build output (web-widget/dist, services/console/dist, services/cli/dist: the compiled
# services…) into /out, paths kept.
RUN mkdir /out \
 && find . -name node_modules -prune -o -type d -name dist -prune -print \
    | xargs -r -I{} cp -r --parents {} /out

FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY . .
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    FLYWHEEL_DATA_DIR=/var/lib/flywheel
WORKDIR /app
COPY --from=prod-deps /app /app
COPY --from=build /out/ /app/
RUN mkdir -p /var/lib/flywheel && chown node:node /var/lib/flywheel
USER node
# Liveness of whichever service the target runs: each target sets only its own port variable.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const e=process.env,p=e.GATEWAY_PORT||e.FEEDBACK_PORT||e.CURATOR_PORT||e.ROLLOUTS_PORT||e.SIM_PORT;fetch('http://127.0.0.1:'+p+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

FROM runtime AS simulator
ENV SIM_PORT=8090
EXPOSE 8090
CMD ["node", "services/cli/dist/flywheel.js", "start", "--only", "sim"]

FROM runtime AS curator
ENV CURATOR_PORT=8082
EXPOSE 8082
CMD ["node", "services/cli/dist/flywheel.js", "start", "--only", "curator"]

FROM runtime AS rollouts
ENV ROLLOUTS_PORT=8083
# flagd's sync protocol (gRPC): the gateways' FLAGS_SYNC_ADDRESS
ENV ROLLOUTS_SYNC_PORT=8015
EXPOSE 8083
EXPOSE 8015
CMD ["node", "services/cli/dist/flywheel.js", "start", "--only", "rollouts"]

FROM runtime AS feedback
ENV FEEDBACK_PORT=8081
EXPOSE 8081
CMD ["node", "services/cli/dist/flywheel.js", "start", "--only", "feedback"]

FROM runtime AS gateway
ENV GATEWAY_PORT=8080
# A small young generation: a scavenge copies what is alive, and that grows with the semi-space
# (measured: ~1.5 MB at 8 MB, ~10.5 MB at 64 MB), so the pauses that make the gateway's p99 stay
# short; ~8× more of them for about the same copying in all, and ~100 MB less RSS than 64 MB
# (README, "Images"; bench/gateway.bench.ts reports it per request). An old-space limit of 256 MB:
# below ~2 GB V8 grows the old generation by a smaller factor after each full GC (~1.3× the live
# heap instead of up to 4×), which halved the gateway's RSS at 1,000 req/s (bench:soak: ~400 →
# ~200 MiB) for a live heap of ~40–70 MiB (README, "Images")
ENV NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=256"
EXPOSE 8080
CMD ["node", "services/cli/dist/flywheel.js", "start", "--only", "gateway"]
