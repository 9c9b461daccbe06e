# One image builds any app: docker build --build-arg APP=chat -t rt-chat .
FROM oven/bun:1.4.4-slim AS base
WORKDIR /app
COPY package.json bun.lock bunfig.toml tsconfig.json ./
COPY packages ./packages
COPY apps ./apps
RUN bun install --frozen-lockfile --production

FROM base
ARG APP=gateway
ENV APP=${APP} NODE_ENV=production
USER bun
# Services serve /health, /ready and /metrics on OPS_PORT; the gateway on PORT.
EXPOSE 3000 9000
HEALTHCHECK --interval=5s --timeout=3s --retries=5 CMD bun -e "const p=process.env.APP==='gateway'?(process.env.PORT||3000):(process.env.OPS_PORT||9000);const r=await fetch('http://127.0.0.1:'+p+'/ready');process.exit(r.ok?0:1)"
CMD ["sh", "-c", "exec bun run apps/${APP}/src/main.ts"]
