import { runService } from "@rt/service-kit";
import { chatService } from "./service.ts";

await runService(chatService);
