import { runService } from "@rt/service-kit";
import { callsModule } from "./module.ts";

await runService(callsModule);
