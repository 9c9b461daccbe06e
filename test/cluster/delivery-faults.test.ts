/**
 * Delivery under faults, on a PRIVATE nats-server and Postgres (own ports, temp dirs: stopping them
 * disturbs nobody): chat and jobs replicas SIGKILLed between their commit and their publish, NATS
 * stopped for 20 s and the notifications' Postgres stopped for 30 s under traffic, and that outage
 * outliving a short event retention (the event reaches the dead-letter subject). In each, every
 * stored change is delivered exactly once to its recipients, or counted as a dead letter: 0 lost.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { privateNats, privatePostgres, startCluster, type Cluster, type PrivateServer, type ServiceApp } from "@rt/testkit";
import { ack, FAULT_ENV, failoverSocket, figures, http, newTenant, record, tally, tokenOf, traffic, until, type Socket } from "./helpers.ts";

let nats: PrivateServer;
let pg: PrivateServer;
/** The notifications service's own database: stopping it fails only the event consumer. */
let pgNotes: PrivateServer;
let cluster: Cluster;
const open: Socket[] = [];
const dbs: postgres.Sql[] = [];

const SERVICES: ServiceApp[] = ["presence", "chat", "jobs", "notifications"];
const clusterOn = (o: { replicas: number; services: ServiceApp[]; env?: Record<string, string> }) =>
  startCluster({
    gateways: 1,
    replicas: o.replicas,
    services: o.services,
    natsUrl: nats.url,
    databaseUrl: pg.url,
    envOf: { notifications: { DATABASE_URL: pgNotes.url } },
    env: { ...FAULT_ENV, ...o.env },
    readyTimeoutMs: 120_000,
  });

beforeAll(async () => {
  [nats, pg, pgNotes] = await Promise.all([privateNats(), privatePostgres(), privatePostgres()]);
  cluster = await clusterOn({ replicas: 2, services: SERVICES });
}, 180_000);

afterAll(async () => {
  for (const s of open) s.close();
  await Promise.all(dbs.map((d) => d.end({ timeout: 2 })));
  await cluster?.stop();
  await Promise.all([nats, pg, pgNotes].map((s) => s?.close()));
}, 90_000);

const query = (url: string) => {
  const d = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5, idle_timeout: 2 });
  dbs.push(d);
  return d;
};

/** A socket of `user` on the cluster's gateway, recording every event. */
async function user(tenant: string, sub: string) {
  const s = await failoverSocket(cluster.gatewayUrls, await tokenOf(tenant, sub));
  open.push(s);
  return { s, got: record(s) };
}

/** A room of alice and bob, both joined; bob's message:new ids are what was delivered. */
async function chatPair(tenant: string) {
  const gw = cluster.gatewayUrls[0]!;
  const r = await http(`${gw}/api/chat/rooms`, { method: "POST", token: await tokenOf(tenant, "alice"), json: { name: "faults", memberIds: ["bob"] } });
  expect(r.status).toBe(201);
  const roomId = r.body.id as number;
  const alice = await user(tenant, "alice");
  const bob = await user(tenant, "bob");
  for (const u of [alice, bob]) expect(await ack(u.s, "join_room", { roomId })).toMatchObject({ ok: true });
  return { roomId, alice, bob };
}

/** Every message stored in the room reached bob exactly once, and nothing else did. */
async function chatExactlyOnce(tenant: string, bob: ReturnType<typeof record>, name: string, extra: Record<string, number | string> = {}) {
  const stored = await query(pg.url)<{ id: string }[]>`select id from chat.messages where tenant_id = ${tenant}`;
  const ids = new Set(stored.map((r) => Number(r.id)));
  await until(() => new Set(bob.of("message:new").map((m) => m.id)).size >= ids.size, 30_000, "every stored message delivered").catch(() => {});
  await Bun.sleep(3000); // a relay round or two more: nothing is published again
  const got = tally(bob.of("message:new").map((m) => m.id as number));
  const lost = [...ids].filter((id) => !got.counts.has(id)).length;
  const stray = [...got.counts.keys()].filter((id) => !ids.has(id)).length;
  figures(name, { stored: ids.size, delivered: got.unique, lost, duplicated: got.duplicated, stray, ...extra });
  expect(lost).toBe(0);
  expect(got.duplicated).toBe(0);
  expect(stray).toBe(0);
}

/** `n` jobs created by boss (before any fault), to be assigned to dj. */
async function newJobs(tenant: string, n: number): Promise<number[]> {
  const token = await tokenOf(tenant, "boss");
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await http(`${cluster.gatewayUrls[0]}/api/jobs`, { method: "POST", token, json: { projectId: 1, jobTypeId: 2, subject: `job ${i}` } });
    expect(r.status).toBe(201);
    ids.push(r.body.id);
  }
  return ids;
}

const assign = async (tenant: string, jobId: number, ms = 8000) =>
  (await http(`${cluster.gatewayUrls[0]}/api/jobs/${jobId}/assign`, { method: "POST", token: await tokenOf(tenant, "boss"), json: { assigneeId: "dj" } }, ms)).status;

/** Every job assigned in the database reached dj once as job:assigned and once as notification:new. */
async function jobsExactlyOnce(tenant: string, dj: ReturnType<typeof record>, name: string, extra: Record<string, number | string> = {}, waitMs = 30_000) {
  const rows = await query(pg.url)<{ id: string }[]>`select id from jobs.jobs where tenant_id = ${tenant} and assignee_id = 'dj'`;
  const ids = new Set(rows.map((r) => Number(r.id)));
  const seen = () => ({ assigned: tally(dj.of("job:assigned").map((d) => d.jobId as number)), notified: tally(dj.of("notification:new").map((d) => d.data?.jobId as number)) });
  await until(() => seen().assigned.unique >= ids.size && seen().notified.unique >= ids.size, waitMs, "every assignment delivered and notified").catch(() => {});
  await Bun.sleep(3000);
  const { assigned, notified } = seen();
  const lost = [...ids].filter((id) => !assigned.counts.has(id)).length;
  const unnotified = [...ids].filter((id) => !notified.counts.has(id)).length;
  figures(name, {
    assigned: ids.size,
    delivered: assigned.unique,
    notified: notified.unique,
    lost,
    unnotified,
    duplicated: assigned.duplicated + notified.duplicated,
    dupAssigned: assigned.duplicated,
    dupNotified: notified.duplicated,
    ...extra,
  });
  expect(lost).toBe(0);
  expect(unnotified).toBe(0);
  expect(assigned.duplicated + notified.duplicated).toBe(0);
}

describe("delivery faults (private NATS and Postgres)", () => {
  test("kill -9 of a chat replica and of a jobs replica between commit and publish: every stored change is delivered exactly once", async () => {
    const tenant = newTenant();
    const { roomId, alice, bob } = await chatPair(tenant);
    const jobIds = await newJobs(tenant, 12);
    const dj = await user(tenant, "dj");
    const [chat1] = cluster.of("chat");
    const [jobs1] = cluster.of("jobs");
    // Replica 1 of each dies by SIGKILL right after its first commit, before publishing.
    await Promise.all([chat1!.restart({ env: { CRASH_AFTER_COMMIT: "chat" } }), jobs1!.restart({ env: { CRASH_AFTER_COMMIT: "jobs" } })]);

    // One attempt each, no retry: a client retry with its clientMsgId would re-announce the message.
    // 10 ms apart: the requests of one turn travel as one batch to one replica, and replica 1 must get some.
    const spread = async <T>(n: number, start: (i: number) => Promise<T>) => {
      const pending: Promise<T>[] = [];
      for (let i = 0; i < n; i++) {
        pending.push(start(i));
        await Bun.sleep(10);
      }
      return Promise.all(pending);
    };
    const sends = await spread(30, (i) => ack(alice.s, "message:send", { roomId, content: `m${i}`, clientMsgId: `m${i}` }, 6000));
    const assigns = await spread(jobIds.length, (i) => assign(tenant, jobIds[i]!));
    await until(() => !chat1!.alive && !jobs1!.alive, 15_000, "both crashed replicas died").catch(() => {});
    const crashed = { chatDied: !chat1!.alive, jobsDied: !jobs1!.alive };
    expect(crashed).toEqual({ chatDied: true, jobsDied: true });

    await chatExactlyOnce(tenant, bob.got, "kill -9 chat replica between commit and publish", {
      acked: sends.filter((r) => r.ok).length,
      unacked: sends.filter((r) => !r.ok).length,
    });
    await jobsExactlyOnce(tenant, dj.got, "kill -9 jobs replica between commit and publish", {
      acked: assigns.filter((s) => s === 200).length,
      unacked: assigns.filter((s) => s !== 200).length,
    });
    await Promise.all([chat1!.restart(), jobs1!.restart()]);
  }, 150_000);

  test("NATS stopped for 20 s under chat and jobs traffic: every acknowledged change is delivered exactly once after it returns", async () => {
    const tenant = newTenant();
    const { roomId, alice, bob } = await chatPair(tenant);
    const jobIds = await newJobs(tenant, 40);
    const dj = await user(tenant, "dj");
    const t = traffic(alice.s, roomId, "nats", { everyMs: 100, retryMs: 45_000 });
    let assigned = 0;
    const assigning = (async () => {
      for (const id of jobIds) {
        // Retried until it answers: a retry after a committed first (its reply lost) answers the job as it is.
        for (let i = 0; i < 30 && ![200, 409].includes(await assign(tenant, id, 5000)); i++) await Bun.sleep(500);
        assigned++;
        await Bun.sleep(200);
      }
    })();
    await Bun.sleep(2500);
    const t0 = Date.now();
    await nats.stop();
    await Bun.sleep(20_000);
    await nats.start();
    const down = Date.now() - t0;
    await assigning;
    const { sent, failed } = await t.stop();
    await chatExactlyOnce(tenant, bob.got, "NATS stopped 20 s: chat", { downMs: down, sent, acked: t.acked.size, failed: failed.length });
    const notAcked = [...t.acked.keys()].filter((id) => !bob.got.of("message:new").some((m) => m.clientMsgId === id)).length;
    expect(notAcked).toBe(0);
    await jobsExactlyOnce(tenant, dj.got, "NATS stopped 20 s: jobs", { downMs: down, attempted: assigned });
  }, 180_000);

  test("the notifications' Postgres stopped for 30 s: the jobs.assigned events outlive it and are notified exactly once", async () => {
    const tenant = newTenant();
    const jobIds = await newJobs(tenant, 3);
    const dj = await user(tenant, "dj");
    await pgNotes.stop();
    const t0 = Date.now();
    let statuses: number[];
    try {
      statuses = await Promise.all(jobIds.map((id) => assign(tenant, id)));
      await Bun.sleep(Math.max(0, 30_000 - (Date.now() - t0)));
    } finally {
      await pgNotes.start();
    }
    const down = Date.now() - t0;
    expect(statuses).toEqual([200, 200, 200]);
    // The consumer's backoff (1, 2, 5, 10, 30 s…) decides when it tries again: up to 30 s more.
    await jobsExactlyOnce(tenant, dj.got, "notifications' Postgres stopped 30 s", { downMs: down, deadLetters: await deadLetters(cluster.namespace) }, 60_000);
    expect(await deadLetters(cluster.namespace)).toBe(0);
  }, 150_000);

  test("the same outage with a 20 s event retention: the events reach the dead-letter subject, counted, none lost", async () => {
    const small = await clusterOn({ replicas: 1, services: ["jobs", "notifications"], env: { EVENT_RETENTION_MS: "20000" } });
    try {
      const tenant = newTenant();
      const gw = small.gatewayUrls[0]!;
      const token = await tokenOf(tenant, "boss");
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push((await http(`${gw}/api/jobs`, { method: "POST", token, json: { projectId: 1, jobTypeId: 2, subject: `dl ${i}` } })).body.id);
      await pgNotes.stop();
      const t0 = Date.now();
      const statuses: number[] = [];
      let moved = -1;
      try {
        for (const id of ids) statuses.push((await http(`${gw}/api/jobs/${id}/assign`, { method: "POST", token, json: { assigneeId: "dj" } })).status);
        moved = await until(async () => ((await deadLetters(small.namespace)) >= 3 ? Date.now() - t0 : 0), 40_000, "three dead letters").catch(() => -1);
      } finally {
        await pgNotes.start();
      }
      expect(statuses).toEqual([200, 200, 200]);
      const letters = await deadLetters(small.namespace);
      const metric = await deadLetterMetric(small.of("notifications")[0]!.opsUrl!);
      const notified = (await query(pgNotes.url)<{ n: number }[]>`select count(*)::int as n from notifications.notifications where tenant_id = ${tenant}`)[0]!.n;
      figures("notifications' Postgres down, 20 s retention", { assigned: 3, deadLetters: letters, metric, notified, lost: 3 - letters - notified, movedAfterMs: moved });
      expect(letters).toBe(3);
      expect(metric).toBe(3);
      expect(letters + notified).toBe(3);
    } finally {
      await small.stop();
    }
  }, 150_000);
});

/** Dead letters in a namespace's dead-letter stream. */
async function deadLetters(namespace: string): Promise<number> {
  const nc = await connect({ servers: nats.url, timeout: 5000 });
  try {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info(`RT_DLQ_${namespace}`).catch(() => null))?.state.messages ?? 0;
  } finally {
    await nc.close();
  }
}

async function deadLetterMetric(opsUrl: string): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith("rt_bus_dead_letters_total{"))
    .reduce((n, l) => n + Number(l.split(" ").at(-1)), 0);
}
