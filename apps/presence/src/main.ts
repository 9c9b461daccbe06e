import { runService } from "@rt/service-kit";
import { presenceService } from "./service.ts";

await runService(presenceService);
