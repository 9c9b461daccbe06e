import { runService } from "@rt/service-kit";
import { callsService } from "./service.ts";

await runService(callsService);
