/**
 * Which real parts a test runs against. `embedded`: in-process bus + in-memory PGlite.
 * `nats`: the machine's NATS and Postgres (tests fail, never skip, when they are down).
 * `cluster`: socket-level tests run against a cluster of separate processes (2 gateways, 2
 * replicas of every service, see cluster.ts); service-level tests run as in `nats`.
 * Chosen with TEST_MODE; `bun run test` runs the suite once per mode.
 */
export type TestMode = "embedded" | "nats" | "cluster";

export const testMode = (): TestMode => {
  const m = process.env.TEST_MODE;
  return m === "nats" || m === "cluster" ? m : "embedded";
};

/** Whether a mode runs on the machine's NATS + Postgres. */
export const usesRealServices = (mode: TestMode) => mode !== "embedded";

export const TEST_API_KEY = "test-publish-key-0123456789-abcdef";
export const TEST_WEBHOOK_SECRET = "test-webhook-secret-0123456789-abcdef";

export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222";
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** A fresh tenant per test keeps runs against a shared Postgres from seeing each other. */
export const uniqueTenant = (label = "t") => `${label}-${crypto.randomUUID().slice(0, 8)}`;

/**
 * NATS namespace of one test platform or harness: its subjects, stream and counters are its own,
 * so test runs sharing the machine's NATS never answer each other.
 */
export const testNamespace = () => `t${crypto.randomUUID().replace(/-/g, "").slice(0, 10)}`;

/**
 * Byte bound of a test namespace's delivery log: JetStream reserves a stream's max_bytes on the
 * server's storage when it is created, and at the 1 GiB default a few dozen namespaces (a run's
 * live ones plus any a killed test left) exhaust a NATS server sized from a small free disk.
 */
export const TEST_LOG_MAX_BYTES = 64 * 1024 * 1024;

/** ADMIN_API_KEY of the admin API tests (platform-wide operator credential). */
export const TEST_ADMIN_KEY = "test-admin-key-0123456789-abcdef";
