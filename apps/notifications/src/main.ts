import { runService } from "@rt/service-kit";
import { notificationsModule } from "./module.ts";

await runService(notificationsModule);
