import { runService } from "@rt/service-kit";
import { paymentsModule } from "./module.ts";

await runService(paymentsModule);
