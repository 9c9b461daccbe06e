import type { ServiceModule } from "@rt/service-kit";
import { presenceModule } from "../../presence/src/module.ts";
import { callsModule } from "../../calls/src/module.ts";
import { paymentsModule } from "../../payments/src/module.ts";
import { chatModule } from "../../chat/src/module.ts";
import { jobsModule } from "../../jobs/src/module.ts";
import { notificationsModule } from "../../notifications/src/module.ts";

/** Every service the one-process runner (and the test platform) starts, in start order. */
export const serviceModules: ServiceModule[] = [
  presenceModule,
  chatModule,
  callsModule,
  paymentsModule,
  notificationsModule,
  jobsModule,
];
