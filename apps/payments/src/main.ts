import { runService } from "@rt/service-kit";
import { paymentsService } from "./service.ts";

await runService(paymentsService);
