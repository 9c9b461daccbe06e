import { expect, test } from "bun:test";
import { Expiries } from "./expiries.ts";

test("an item is handed over once its expiry second has passed; a deleted or re-added one follows its latest expiry", async () => {
  const due: string[] = [];
  const e = new Expiries<{ id: string }>((x) => due.push(x.id), 20);
  const now = Math.floor(Date.now() / 1000);
  const past = { id: "past" };
  const soon = { id: "soon" };
  const gone = { id: "gone" };
  const later = { id: "later" };
  e.add(past, now - 10);
  e.add(soon, now + 1);
  e.add(gone, now + 1);
  e.delete(gone, now + 1);
  e.add(later, now + 1);
  // Refreshed to a later token, as refreshSession does.
  e.delete(later, now + 1);
  e.add(later, now + 3600);
  e.add({ id: "never" }, undefined);
  await Bun.sleep(2300);
  e.stop();
  expect(due).toEqual(["past", "soon"]);
});
