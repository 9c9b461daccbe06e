/**
 * Static checks of docker-compose.yml, deploy/k8s/*.yaml, deploy/nginx.conf and the Dockerfile
 * (the images and both stacks really run in `bun run deploy:test`, test/deploy). Every app is
 * present, every variable its config needs in production is set (and valid), no secret has a
 * default or a shipped value, probes ask routes the apps really serve on the port they serve them
 * on, and the manifests are valid objects of the Kubernetes 1.34 API (kubernetes-models 5.1.0).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Registry } from "prom-client";
import { loadConfig, startOpsServer } from "@rt/service-kit";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Service } from "kubernetes-models/v1";
import { startPlatform, type TestPlatform } from "@rt/testkit";

const ROOT = resolve(import.meta.dir, "..");
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");

const SERVICES = ["presence", "chat", "calls", "jobs", "notifications", "payments", "sync"] as const;
const APPS = ["gateway", ...SERVICES] as const;
type App = (typeof APPS)[number];

/** What each app needs in production beyond NODE_ENV (config schema + what the app reads). */
const REQUIRED: Record<App, string[]> = {
  // The gateway has no database; it serves POST /api/publish.
  gateway: ["JWT_SECRET", "NATS_URL", "PUBLISH_API_KEY"],
  // runService connects a database for every service (PGlite without DATABASE_URL: wrong for replicas).
  presence: ["JWT_SECRET", "NATS_URL", "DATABASE_URL"],
  chat: ["JWT_SECRET", "NATS_URL", "DATABASE_URL"],
  calls: ["JWT_SECRET", "NATS_URL", "DATABASE_URL"],
  jobs: ["JWT_SECRET", "NATS_URL", "DATABASE_URL"],
  // The API-key notification route and the publish-API approval requests.
  notifications: ["JWT_SECRET", "NATS_URL", "DATABASE_URL", "PUBLISH_API_KEY"],
  payments: ["JWT_SECRET", "NATS_URL", "DATABASE_URL", "PAYMENTS_WEBHOOK_SECRET"],
  sync: ["JWT_SECRET", "NATS_URL", "DATABASE_URL"],
};

/** The routes a probe may ask: the ops routes every app serves. */
const PROBE_PATHS = ["/ready", "/health"];

/** The port an app serves /ready and /health on, from its env (the gateway: PORT; services: OPS_PORT). */
const probePort = (app: App, env: Record<string, string>) => Number(app === "gateway" ? (env.PORT ?? 3000) : env.OPS_PORT);

/** The secrets an operator must provide (compose: from the shell; k8s: the Secret README creates). */
const SECRETS = ["JWT_SECRET", "PUBLISH_API_KEY", "PAYMENTS_WEBHOOK_SECRET"] as const;
/** Stand-ins for what the operator sets: random, as production requires. */
const operatorEnv: Record<string, string> = {
  ...Object.fromEntries(SECRETS.map((k) => [k, crypto.getRandomValues(new Uint8Array(32)).toHex()])),
  POSTGRES_PASSWORD: crypto.getRandomValues(new Uint8Array(24)).toHex(),
};

/** ${VAR:-default}, ${VAR:?message} and ${VAR} as compose substitutes them, with `shell` as the shell env. */
const substitute = (v: unknown, shell: Record<string, string> = operatorEnv) =>
  String(v).replace(/\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => shell[name] || (op === "-" ? (arg ?? "") : ""));

const appOfCompose = (name: string): App | undefined => APPS.find((a) => name === a || name.startsWith(`${a}-`));

// --- docker-compose.yml -------------------------------------------------------------------

const compose = Bun.YAML.parse(read("docker-compose.yml")) as { services: Record<string, any> };
const composeApps = Object.entries(compose.services)
  .map(([name, svc]) => ({ name, app: appOfCompose(name), svc }))
  .filter((s): s is { name: string; app: App; svc: any } => s.app !== undefined);
const composeEnv = (svc: any, shell?: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(svc.environment ?? {}).map(([k, v]) => [k, substitute(v, shell)]));

// --- deploy/k8s -----------------------------------------------------------------------------

const k8sDocs: any[] = readdirSync(join(ROOT, "deploy/k8s"))
  .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
  .flatMap((f) => {
    const parsed = Bun.YAML.parse(read(`deploy/k8s/${f}`));
    return (Array.isArray(parsed) ? parsed : [parsed]).filter(Boolean).map((d: any) => ({ ...d, __file: f }));
  });
const byKind = (kind: string) => k8sDocs.filter((d) => d.kind === kind);

/** The Secret README tells the operator to create: `kubectl create secret generic NAME --from-literal=KEY=…`. */
const readme = read("README.md");
const secretCommand = readme.match(/kubectl create secret generic ([\w-]+)((?:[^\n]*\\\n)*[^\n]*)/);
const secretKeys = [...(secretCommand?.[2] ?? "").matchAll(/--from-literal=([A-Z_]+)=/g)].map((m) => m[1]!);
const secrets = new Map<string, Record<string, string>>([
  [
    secretCommand?.[1] ?? "(none in README)",
    // What the operator puts in it (URLs of their NATS and Postgres, random secrets).
    Object.fromEntries(secretKeys.map((k) => [k, k === "NATS_URL" ? "nats://nats:4222" : k === "DATABASE_URL" ? "postgres://rt:pw@pg:5432/rt" : (operatorEnv[k] ?? "")])),
  ],
]);
const configMaps = new Map<string, Record<string, string>>(byKind("ConfigMap").map((c) => [c.metadata.name, c.data ?? {}]));

/** A container's env as Kubernetes would give it (envFrom Secrets/ConfigMaps, then env). */
function containerEnv(c: any): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const src = from.secretRef ? secrets.get(from.secretRef.name) : from.configMapRef ? configMaps.get(from.configMapRef.name) : undefined;
    if (!src) throw new Error(`envFrom ${JSON.stringify(from)} names nothing defined in deploy/k8s`);
    Object.assign(env, src);
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = String(e.value);
    else if (e.valueFrom?.secretKeyRef) env[e.name] = secrets.get(e.valueFrom.secretKeyRef.name)?.[e.valueFrom.secretKeyRef.key] ?? "";
  }
  return env;
}

const deployments = new Map<string, any>(byKind("Deployment").map((d) => [d.metadata.name, d]));

// --- Dockerfile ------------------------------------------------------------------------------

const dockerfile = read("Dockerfile");

describe("docker-compose.yml", () => {
  test("NATS with JetStream, Postgres, every app, two gateways behind the load balancer", () => {
    expect(compose.services.nats?.command).toContain("-js");
    expect(compose.services.postgres).toBeDefined();
    for (const app of APPS) expect({ app, present: composeApps.some((s) => s.app === app) }).toEqual({ app, present: true });
    expect(composeApps.filter((s) => s.app === "gateway").length).toBeGreaterThanOrEqual(2);
    expect(compose.services.lb).toBeDefined();
  });

  test("every app gets the variables its config needs in production, with valid values", () => {
    for (const { name, app, svc } of composeApps) {
      const env = composeEnv(svc);
      expect({ name, NODE_ENV: env.NODE_ENV }).toEqual({ name, NODE_ENV: "production" });
      const missing = REQUIRED[app].filter((k) => !env[k]);
      expect({ name, missing }).toEqual({ name, missing: [] });
      // The same parse the process runs at start: a bad value would stop it.
      expect(() => loadConfig(env)).not.toThrow();
      if (app !== "gateway") expect({ name, OPS_PORT: Number(env.OPS_PORT) > 0 }).toEqual({ name, OPS_PORT: true });
    }
  });

  test("no secret has a default: compose refuses to start until the operator sets each one", () => {
    const text = read("docker-compose.yml");
    expect(text).not.toMatch(/change-me/i);
    for (const { name, svc } of composeApps) {
      for (const k of [...SECRETS, "DATABASE_URL"].filter((k) => svc.environment?.[k] !== undefined)) {
        const raw = String(svc.environment[k]);
        const required = k === "DATABASE_URL" ? "POSTGRES_PASSWORD" : k;
        expect({ name, k, raw: raw.includes(`\${${required}:?`) }).toEqual({ name, k, raw: true });
        // Without the operator's value the whole expression is an error, never a usable default.
        expect({ name, k, unset: raw.includes(":-") }).toEqual({ name, k, unset: false });
      }
    }
    expect(String(compose.services.postgres.environment.POSTGRES_PASSWORD)).toContain("${POSTGRES_PASSWORD:?");
  });

  test("apps use the image's HEALTHCHECK (/ready on PORT or OPS_PORT); they wait for healthy NATS and Postgres", () => {
    for (const { name, svc } of composeApps) {
      expect({ name, healthcheck: svc.healthcheck }).toEqual({ name, healthcheck: undefined });
      expect({ name, nats: svc.depends_on?.nats?.condition, pg: svc.depends_on?.postgres?.condition }).toEqual({
        name,
        nats: "service_healthy",
        pg: "service_healthy",
      });
    }
  });

  test("each app is built from the one Dockerfile with APP naming an app that exists", () => {
    for (const { name, app, svc } of composeApps) {
      expect({ name, dockerfile: svc.build?.dockerfile ?? "Dockerfile", APP: svc.build?.args?.APP }).toEqual({ name, dockerfile: "Dockerfile", APP: app });
      expect(existsSync(join(ROOT, `apps/${app}/src/main.ts`))).toBe(true);
    }
  });

  test("the load balancer config sends traffic to every compose gateway on its PORT", () => {
    const nginx = read("deploy/nginx.conf");
    const upstream = [...nginx.matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`).sort();
    const gateways = composeApps
      .filter((s) => s.app === "gateway")
      .map((s) => `${s.name}:${composeEnv(s.svc).PORT ?? 3000}`)
      .sort();
    expect(upstream).toEqual(gateways);
    expect(nginx).toMatch(/proxy_set_header\s+Upgrade/);
  });

  test("per-address limits see the client behind nginx: nginx overwrites X-Forwarded-For, every gateway trusts the compose network", () => {
    const nginx = read("deploy/nginx.conf");
    expect(nginx).toMatch(/proxy_set_header\s+X-Forwarded-For\s+\$remote_addr;/);
    for (const g of composeApps.filter((s) => s.app === "gateway")) expect(composeEnv(g.svc).TRUSTED_PROXIES).toMatch(/\d+\.\d+\.\d+\.\d+\/\d+/);
  });
});

describe("Dockerfile", () => {
  test("builds any app from the APP build arg, which it also passes to the container", () => {
    expect(dockerfile).toMatch(/^ARG APP(=\w+)?$/m);
    expect(dockerfile).toMatch(/^ENV .*APP=\$\{APP\}/m);
    expect(dockerfile).toContain("apps/$" + "{APP}/src/main.ts");
    const dflt = dockerfile.match(/^ARG APP=(\w+)$/m)?.[1];
    if (dflt) expect(APPS as readonly string[]).toContain(dflt);
  });

  test("the base is a build argument defaulting to the official bun image; the app runs as the user it creates", () => {
    expect(dockerfile).toMatch(/^ARG BASE=oven\/bun:[\w.-]+$/m);
    expect(dockerfile).toMatch(/^FROM \$\{BASE\}$/m);
    expect(dockerfile).toMatch(/useradd --system --uid 10001 --gid app .* app$/m);
    expect(dockerfile).toMatch(/^USER app$/m);
    // exec: bun itself is PID 1 and receives SIGTERM.
    expect(dockerfile).toMatch(/^CMD \["sh", "-c", "exec bun run apps\/\$\{APP\}\/src\/main\.ts"\]$/m);
  });

  test("its HEALTHCHECK asks /ready on the gateway's PORT or a service's OPS_PORT", () => {
    const hc = dockerfile.split("\n").find((l) => l.startsWith("HEALTHCHECK")) ?? "";
    expect(hc).toContain("/ready");
    expect(hc).toMatch(/APP==='gateway'\?\(process\.env\.PORT/);
    expect(hc).toContain("process.env.OPS_PORT");
  });
});

describe("deploy/k8s", () => {
  test("a Deployment and a Service per app, a HorizontalPodAutoscaler for the gateway", () => {
    for (const app of APPS) {
      expect({ app, deployment: deployments.has(app) }).toEqual({ app, deployment: true });
      const svc = byKind("Service").find((s) => s.metadata.name === app);
      expect({ app, service: !!svc }).toEqual({ app, service: true });
      const d = deployments.get(app);
      // The Service selects the Deployment's pods.
      expect(svc.spec.selector).toEqual(d.spec.template.metadata.labels);
      expect(d.spec.selector.matchLabels).toEqual(d.spec.template.metadata.labels);
    }
    const hpa = byKind("HorizontalPodAutoscaler").find((h) => h.spec.scaleTargetRef.name === "gateway");
    expect(hpa?.spec.scaleTargetRef.kind).toBe("Deployment");
    expect(hpa?.spec.minReplicas).toBeGreaterThanOrEqual(2);
  });

  test("every object is valid against the Kubernetes 1.34 API schemas (kubernetes-models, offline)", () => {
    const models: Record<string, new (d: any) => { validate(): void }> = {
      "apps/v1/Deployment": Deployment,
      "v1/Service": Service,
      "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
      "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
    };
    for (const { __file, ...doc } of k8sDocs) {
      const Model = models[`${doc.apiVersion}/${doc.kind}`];
      expect({ file: __file, kind: `${doc.apiVersion}/${doc.kind}`, known: !!Model }).toEqual({ file: __file, kind: `${doc.apiVersion}/${doc.kind}`, known: true });
      let error = "";
      try {
        new Model!(doc).validate();
      } catch (e) {
        error = String((e as Error).message);
      }
      expect({ file: __file, name: doc.metadata?.name, error }).toEqual({ file: __file, name: doc.metadata?.name, error: "" });
    }
    // The validation is real: a wrong type or a missing required field is refused.
    const d = structuredClone(deployments.get("chat"));
    delete d.__file;
    expect(() => new Deployment({ ...d, spec: { ...d.spec, replicas: "two" } }).validate()).toThrow(/replicas must be integer/);
    const noName = structuredClone(d);
    delete noName.spec.template.spec.containers[0].name;
    expect(() => new Deployment(noName).validate()).toThrow(/required property/);
  });

  test("no Secret is shipped: every pod reads the one README tells the operator to create, with every key it needs", () => {
    expect(byKind("Secret")).toEqual([]);
    for (const f of readdirSync(join(ROOT, "deploy/k8s"))) expect({ f, changeMe: /change-me/i.test(read(`deploy/k8s/${f}`)) }).toEqual({ f, changeMe: false });
    expect(secretCommand?.[1]).toBe("realtime-secrets");
    for (const app of APPS) {
      const c = deployments.get(app).spec.template.spec.containers[0];
      expect(c.envFrom).toEqual([{ secretRef: { name: "realtime-secrets" } }]);
    }
    expect(secretKeys.sort()).toEqual(["DATABASE_URL", "NATS_URL", ...SECRETS].sort());
  });

  test("operators' expectations: non-root, read-only root filesystem, resources, a PodDisruptionBudget, the gateway's preStop", () => {
    for (const app of APPS) {
      const d = deployments.get(app);
      const spec = d.spec.template.spec;
      const c = spec.containers[0];
      expect({ app, pod: spec.securityContext }).toMatchObject({ app, pod: { runAsNonRoot: true, runAsUser: 10001 } });
      expect({ app, c: c.securityContext }).toMatchObject({ app, c: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } } });
      // The one writable place: /tmp.
      expect(c.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
      for (const r of ["cpu", "memory"]) expect({ app, r, req: !!c.resources?.requests?.[r], lim: !!c.resources?.limits?.[r] }).toEqual({ app, r, req: true, lim: true });
      const pdb = byKind("PodDisruptionBudget").find((p) => p.metadata.name === app);
      expect({ app, pdb: pdb?.spec.selector.matchLabels }).toEqual({ app, pdb: d.spec.template.metadata.labels });
      expect(pdb.spec.minAvailable).toBeLessThan(d.spec.replicas);
    }
    // The gateway: endpoints drop it during preStop, then SIGTERM drains it (10 s at most) within the grace period.
    const gw = deployments.get("gateway").spec.template.spec;
    const sleep = Number(gw.containers[0].lifecycle?.preStop?.exec?.command?.[1]);
    expect(gw.containers[0].lifecycle.preStop.exec.command[0]).toBe("sleep");
    expect(sleep).toBeGreaterThan(0);
    expect(gw.terminationGracePeriodSeconds).toBeGreaterThan(sleep + 10);
  });

  test("every container gets the variables its config needs in production, with valid values", () => {
    for (const app of APPS) {
      const c = deployments.get(app).spec.template.spec.containers[0];
      const env = containerEnv(c);
      expect({ app, NODE_ENV: env.NODE_ENV, APP: env.APP }).toEqual({ app, NODE_ENV: "production", APP: app });
      const missing = REQUIRED[app].filter((k) => !env[k]);
      expect({ app, missing }).toEqual({ app, missing: [] });
      expect(() => loadConfig(env)).not.toThrow();
      expect(c.image).toContain(app);
    }
  });

  test("readiness and liveness probes ask /ready and /health on the port the app serves them on", () => {
    for (const app of APPS) {
      const spec = deployments.get(app).spec.template.spec;
      const c = spec.containers[0];
      const port = probePort(app, containerEnv(c));
      expect({ app, ready: c.readinessProbe?.httpGet }).toEqual({ app, ready: { path: "/ready", port } });
      expect({ app, live: c.livenessProbe?.httpGet }).toEqual({ app, live: { path: "/health", port } });
      expect((c.ports ?? []).map((p: any) => p.containerPort)).toContain(port);
      // The Service reaches a port the container listens on.
      const svc = byKind("Service").find((s) => s.metadata.name === app);
      for (const p of svc.spec.ports) expect((c.ports ?? []).map((cp: any) => cp.containerPort)).toContain(p.targetPort);
      // Graceful shutdown (10 s in the apps) fits in the grace period.
      expect(spec.terminationGracePeriodSeconds ?? 30).toBeGreaterThan(10);
    }
  });
});

describe("probe routes are served", () => {
  let p: TestPlatform;
  let ops: ReturnType<typeof startOpsServer>;
  beforeAll(async () => {
    p = await startPlatform();
    // What runService mounts for every service.
    ops = startOpsServer({ port: 0, name: "probe-check", metrics: new Registry(), readiness: { ready: async () => true } });
  }, 30_000);
  afterAll(async () => {
    ops?.stop(true);
    await p?.stop();
  });

  test("the gateway answers /ready and /health on its port, a service on its OPS_PORT", async () => {
    for (const path of PROBE_PATHS) {
      expect({ path, status: (await p.fetch(path)).status }).toEqual({ path, status: 200 });
      expect({ path, status: (await fetch(`http://127.0.0.1:${ops.port}${path}`)).status }).toEqual({ path, status: 200 });
    }
  });
});
