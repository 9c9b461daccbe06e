import { runService } from "@rt/service-kit";
import { notificationsService } from "./service.ts";

await runService(notificationsService);
