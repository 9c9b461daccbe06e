/**
 * Mint a development token: `bun run token -- --sub u1 --tenant default --roles admin,pdg --name Ann --ttl 3600`.
 * Uses JWT_SECRET (and JWT_ISSUER / JWT_AUDIENCE) from the environment, or the dev secret. The
 * token always carries `exp`; a `--ttl` over JWT_MAX_AGE is refused here, as the gateway would.
 */
import { parseArgs } from "node:util";
import { mintToken } from "@rt/auth";
import { loadConfigOrExit } from "@rt/service-kit";

const { values } = parseArgs({
  options: {
    sub: { type: "string" },
    tenant: { type: "string", default: "default" },
    roles: { type: "string", default: "" },
    name: { type: "string" },
    ttl: { type: "string", default: "3600" },
  },
});
if (!values.sub) {
  console.error("usage: bun run token -- --sub <userId> [--tenant t] [--roles a,b] [--name n] [--ttl seconds]");
  process.exit(2);
}
const config = loadConfigOrExit();
if (!config.JWT_SECRET) {
  console.error("no JWT_SECRET: with JWT_JWKS_URL / JWT_PUBLIC_KEYS tokens come from the identity provider");
  process.exit(2);
}
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0 || ttl > config.JWT_MAX_AGE) {
  console.error(`--ttl must be a whole number of seconds from 1 to JWT_MAX_AGE (${config.JWT_MAX_AGE})`);
  process.exit(2);
}
const token = await mintToken(
  { sub: values.sub, tenantId: values.tenant, roles: values.roles.split(",").filter(Boolean), name: values.name, ttl },
  { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
);
console.log(token);
