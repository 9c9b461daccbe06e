// Publish an event to one user's sockets over HTTP (`POST /api/publish`), as an internal service
// in any language would. `bun run dev` enables the API with the key it prints at start.
//
//   node examples/publish.mjs u1 booking_reminder '{"bookingId":7}'   (or: bun run example:publish -- …)
//
// RT_URL, PUBLISH_API_KEY and TENANT override the dev defaults.
const [userId = "u1", event = "booking_reminder", data = '{"bookingId":7}'] = process.argv.slice(2);
const url = process.env.RT_URL ?? "http://localhost:3000";
const res = await fetch(`${url}/api/publish`, {
  method: "POST",
  headers: { "x-api-key": process.env.PUBLISH_API_KEY ?? "dev-publish-key-change-me", "content-type": "application/json" },
  body: JSON.stringify({ tenantId: process.env.TENANT ?? "default", target: { kind: "user", id: userId }, event, data: JSON.parse(data) }),
});
console.log(res.status, await res.text());
process.exit(res.status === 202 ? 0 : 1);
