/**
 * Which real parts a test runs against. `embedded`: in-process bus + in-memory PGlite.
 * `nats`: the machine's NATS and Postgres (tests fail, never skip, when they are down).
 * Chosen with TEST_MODE; `bun run test` runs the suite once per mode.
 */
export type TestMode = "embedded" | "nats";

export const testMode = (): TestMode => (process.env.TEST_MODE === "nats" ? "nats" : "embedded");

export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222";
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** A fresh tenant per test keeps runs against a shared Postgres from seeing each other. */
export const uniqueTenant = (label = "t") => `${label}-${crypto.randomUUID().slice(0, 8)}`;

/**
 * NATS namespace of one test platform or harness: its subjects, stream and counters are its own,
 * so test runs sharing the machine's NATS never answer each other.
 */
export const testNamespace = () => `t${crypto.randomUUID().replace(/-/g, "").slice(0, 10)}`;
