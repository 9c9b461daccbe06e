import { runService } from "@rt/service-kit";
import { jobsService } from "./service.ts";

await runService(jobsService);
