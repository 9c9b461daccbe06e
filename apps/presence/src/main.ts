import { runService } from "@rt/service-kit";
import { presenceModule } from "./module.ts";

await runService(presenceModule);
