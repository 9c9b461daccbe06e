import { runService } from "@rt/service-kit";
import { syncService } from "./service.ts";

await runService(syncService);
