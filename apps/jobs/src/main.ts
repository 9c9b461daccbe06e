import { runService } from "@rt/service-kit";
import { jobsModule } from "./module.ts";

await runService(jobsModule);
