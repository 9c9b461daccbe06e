import { and, desc, eq, type SQL } from "drizzle-orm";
import { AppError, toRole, type ArtisanRequest, type ArtisanRequestCreate, type ServerEventName, type ServerEventPayload, type SvcContext } from "@rt/contracts";
import type { Bus } from "@rt/bus";
import type { Database } from "@rt/db";
import { deliver, nowIso } from "@rt/service-kit";
import { artisanRequests, type ArtisanRequestRow } from "./schema.ts";

export interface ApprovalsDeps {
  bus: Bus;
  db: Database;
}

/** Seed 004: the role whose users decide artisan requests (their "pdg-notifications" room). */
export const PDG_ROLE = "pdg";

// Seed clients send numeric contact ids; the column is text so string ids fit too.
const contactIdOut = (s: string): number | string => (/^(0|[1-9][0-9]{0,14})$/.test(s) ? Number(s) : s);

export function toArtisanRequest(r: ArtisanRequestRow): ArtisanRequest {
  return {
    id: r.id,
    contact_id: contactIdOut(r.contactId),
    nom_complet: r.nomComplet,
    email: r.email,
    status: r.status,
    details: r.details,
    createdAt: r.createdAt.toISOString(),
    decidedAt: r.decidedAt ? r.decidedAt.toISOString() : null,
    decidedBy: r.decidedBy,
  };
}

/** One event to every pdg user of the tenant. */
const tellPdg = <E extends ServerEventName>(bus: Bus, tenantId: string, event: E, data: ServerEventPayload<E>) => deliver(bus, { tenantId, target: toRole(PDG_ROLE), event, data });

export function requirePdg(ctx: SvcContext): SvcContext {
  if (!ctx.roles.includes(PDG_ROLE)) throw new AppError("FORBIDDEN", "only pdg users can do this");
  return ctx;
}

/** Store a request and tell every pdg user of the tenant. Extra fields are kept as details. */
export async function createArtisanRequest({ bus, db }: ApprovalsDeps, tenantId: string, input: ArtisanRequestCreate): Promise<ArtisanRequest> {
  // tenantId is never a detail: it is either the caller's or the publisher's routing field.
  const { contact_id, nom_complet, email, tenantId: _routing, ...details } = input;
  const [row] = await db.db
    .insert(artisanRequests)
    .values({ tenantId, contactId: String(contact_id), nomComplet: nom_complet, email, details })
    .returning();
  const req = toArtisanRequest(row!);
  tellPdg(bus, tenantId, "artisan-request:new", req);
  return req;
}

export async function listArtisanRequests({ db }: ApprovalsDeps, ctx: SvcContext, status?: ArtisanRequest["status"]) {
  requirePdg(ctx);
  const where: SQL[] = [eq(artisanRequests.tenantId, ctx.tenantId)];
  if (status) where.push(eq(artisanRequests.status, status));
  const rows = await db.db
    .select()
    .from(artisanRequests)
    .where(and(...where))
    .orderBy(desc(artisanRequests.id))
    .limit(500);
  return { requests: rows.map(toArtisanRequest), count: rows.length };
}

/** Decide a pending request once: the UPDATE only matches while pending, so a second decision is CONFLICT. */
export async function decideArtisanRequest({ bus, db }: ApprovalsDeps, ctx: SvcContext, id: number, decision: "approved" | "rejected"): Promise<ArtisanRequest> {
  requirePdg(ctx);
  const mine = and(eq(artisanRequests.id, id), eq(artisanRequests.tenantId, ctx.tenantId));
  const [row] = await db.db
    .update(artisanRequests)
    .set({ status: decision, decidedAt: new Date(), decidedBy: ctx.userId })
    .where(and(mine, eq(artisanRequests.status, "pending")))
    .returning();
  if (!row) {
    const [existing] = await db.db.select({ status: artisanRequests.status }).from(artisanRequests).where(mine);
    if (!existing) throw new AppError("NOT_FOUND", "request not found");
    throw new AppError("CONFLICT", `request already ${existing.status}`);
  }
  const req = toArtisanRequest(row);
  const timestamp = nowIso();
  if (decision === "approved") tellPdg(bus, ctx.tenantId, "artisan-request:approved", { contact_id: req.contact_id, nom_complet: req.nom_complet, email: req.email, timestamp });
  else tellPdg(bus, ctx.tenantId, "artisan-request:rejected", { contact_id: req.contact_id, timestamp });
  return req;
}
