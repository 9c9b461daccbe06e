import type { PaymentData } from "@rt/contracts";

type Status = PaymentData["status"];

/** The legal moves of an invoice; refunded, failed and canceled are final. */
const NEXT: Record<Status, readonly Status[]> = {
  pending: ["paid", "failed", "canceled"],
  paid: ["refunded"],
  failed: [],
  canceled: [],
  refunded: [],
};

/** Whether `to` lies strictly ahead of `from` (one or more legal moves), e.g. pending → refunded. */
export function isForward(from: Status, to: Status): boolean {
  return NEXT[from].some((s) => s === to || isForward(s, to));
}

export interface InvoiceState {
  status: Status;
  /** Provider time of the last applied event, when it said one. */
  eventAt: Date | null;
}

/**
 * Whether a webhook event moves the invoice: a new invoice takes any status; an existing one only
 * a status ahead of its own, and not from an event older than the last applied one. Reaching a
 * later state directly (pending → refunded) is allowed: its intermediate event may still be on its
 * way, and when it comes it is behind and ignored.
 */
export function shouldApply(current: InvoiceState | undefined, event: { status: Status; created?: Date }): boolean {
  if (!current) return true;
  if (!isForward(current.status, event.status)) return false;
  return !(event.created && current.eventAt && event.created < current.eventAt);
}
