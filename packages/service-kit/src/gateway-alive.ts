import { subjects } from "@rt/contracts";
import { isBusError, type Bus } from "@rt/bus";

/**
 * Whether a gateway is still there: it answers `rt.gw.<id>.alive`, or it does not answer in time
 * (busy, stopped) but NATS still holds its subscription. Only NO_RESPONDERS — no subscriber left,
 * so its process or connection is gone, as after a SIGKILL — says it is not. Anything else is
 * unknown and counts as there.
 */
export async function gatewayThere(bus: Bus, gatewayId: string, timeoutMs: number, sid = "probe"): Promise<boolean> {
  try {
    await bus.request(subjects.gatewayAlive(gatewayId), { sid }, { timeoutMs });
    return true;
  } catch (err) {
    return !(isBusError(err) && err.code === "NO_RESPONDERS");
  }
}
