import type { ServiceModule } from "@rt/service-kit";
import { createPresenceService } from "./service.ts";

/** Presence keeps no tables: its truth is the gateways' heartbeats. */
export const presenceModule: ServiceModule = { name: "presence", create: createPresenceService };
