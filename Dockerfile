# One image builds any app: docker build --build-arg APP=chat -t realtime/chat .
# BASE is the official bun image; machines with no registry pass a local one built by
# deploy/base-image.sh (Debian minbase + bun from npm): --build-arg BASE=realtime-base:local
ARG BASE=oven/bun:1.4.4-slim
FROM ${BASE}
# The app's own user (the Debian base has none): uid/gid 10001, no home, no shell.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin app
WORKDIR /app
# Everything but what .dockerignore leaves out, then the production dependencies (no peers: the only
# one not already a dependency is socket.io's bun-engine asking for typescript) without type
# declarations, source maps or docs, then the AsyncAPI viewer's files alone (its package is a
# devDependency: its 225 dependencies would double node_modules; deploy/files-from-package.ts takes
# the version bun.lock pins and checks its sha512). These layers do not depend on APP, so the seven
# images share them.
COPY . .
# EXTRA_CA_CERTS (PEM text, public certificates only): for a build behind a TLS-inspecting proxy;
# used by this step alone (both downloads) and not left in the image.
ARG EXTRA_CA_CERTS=""
RUN if [ -n "$EXTRA_CA_CERTS" ]; then printf '%s\n' "$EXTRA_CA_CERTS" >/tmp/extra-ca.pem && export NODE_EXTRA_CA_CERTS=/tmp/extra-ca.pem; fi \
 && bun install --frozen-lockfile --production --omit=peer \
 && find node_modules/.bun -type f \( -name '*.d.ts' -o -name '*.d.[cm]ts' -o -name '*.map' -o -iname '*.md' \) -delete \
 && bun deploy/files-from-package.ts \
 && rm -rf /root/.bun /tmp/*

# No runtime transpiler cache: the root filesystem may be read-only (k8s readOnlyRootFilesystem).
ENV NODE_ENV=production BUN_RUNTIME_TRANSPILER_CACHE_PATH=0
USER app
# Services serve /health, /ready and /metrics on OPS_PORT; the gateway on PORT.
EXPOSE 3000 9000
HEALTHCHECK --interval=5s --timeout=3s --retries=5 CMD bun -e "const p=process.env.APP==='gateway'?(process.env.PORT||3000):(process.env.OPS_PORT||9000);const r=await fetch('http://127.0.0.1:'+p+'/ready');process.exit(r.ok?0:1)"
# exec: bun is PID 1 and gets SIGTERM itself (docker stop, a pod's termination); the apps drain on it.
CMD ["sh", "-c", "exec bun run apps/${APP}/src/main.ts"]
# Last, so that everything above is shared by the seven images.
ARG APP=gateway
ENV APP=${APP}
