import { afterAll, beforeAll } from "bun:test";
import type { ServiceModule } from "@rt/service-kit";
import { startServices, type ServiceHarness } from "./service-harness.ts";

/**
 * The service harness of one test file: started before its first test, stopped after its last.
 * The handle is usable from inside tests (and hooks registered after this call) only.
 */
export function servicesForFile(mods: ServiceModule[], opts?: Parameters<typeof startServices>[1]): ServiceHarness {
  let started: ServiceHarness | undefined;
  beforeAll(async () => {
    started = await startServices(mods, opts);
  }, 60_000);
  afterAll(() => started?.stop());
  return new Proxy({} as ServiceHarness, {
    get(_, key) {
      if (!started) throw new Error("servicesForFile: the harness is started in beforeAll; use it inside a test");
      const value = Reflect.get(started, key);
      return typeof value === "function" ? value.bind(started) : value;
    },
  });
}
