import { runService } from "@rt/service-kit";
import { chatModule } from "./module.ts";

await runService(chatModule);
