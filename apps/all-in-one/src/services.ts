import type { ServiceModule } from "@rt/service-kit";
import { presenceService } from "../../presence/src/service.ts";
import { callsService } from "../../calls/src/service.ts";
import { paymentsService } from "../../payments/src/service.ts";
import { chatService } from "../../chat/src/service.ts";
import { jobsService } from "../../jobs/src/service.ts";
import { notificationsService } from "../../notifications/src/service.ts";
import { syncService } from "../../sync/src/service.ts";

/** Every service the one-process runner (and the test platform) starts, in start order. */
export const serviceModules: ServiceModule[] = [presenceService, chatService, callsService, paymentsService, notificationsService, jobsService, syncService];
