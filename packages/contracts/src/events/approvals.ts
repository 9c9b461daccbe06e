import { z } from "zod";
import { EntityId, TenantId } from "../ids.ts";
import { Iso } from "./common.ts";

/** Seed 004 sends French field names; extra fields are kept as the request's details. */
export const ArtisanRequestCreate = z
  .object({
    contact_id: z.union([z.number().int(), z.string().min(1).max(128)]),
    nom_complet: z.string().min(1).max(300),
    email: z.string().email().max(320),
  })
  .catchall(z.unknown());
export type ArtisanRequestCreate = z.infer<typeof ArtisanRequestCreate>;

/** The publish-API form (`X-Api-Key`): no caller, so the tenant is named in the body. */
export const ArtisanRequestCreateBody = ArtisanRequestCreate.extend({ tenantId: TenantId });
export type ArtisanRequestCreateBody = z.infer<typeof ArtisanRequestCreateBody>;

/** Path parameter of `/api/approvals/artisan-requests/:id/approve|reject`. */
export const ArtisanRequestRef = z.object({ id: EntityId });

export const ArtisanRequestStatus = z.enum(["pending", "approved", "rejected"]);
export const ArtisanRequest = z.object({
  id: z.number(),
  contact_id: z.union([z.number(), z.string()]),
  nom_complet: z.string(),
  email: z.string(),
  status: ArtisanRequestStatus,
  details: z.record(z.string(), z.unknown()),
  createdAt: Iso,
  decidedAt: Iso.nullable(),
  decidedBy: z.string().nullable(),
});
export type ArtisanRequest = z.infer<typeof ArtisanRequest>;
export const ArtisanRequestList = z.object({ requests: z.array(ArtisanRequest), count: z.number().int() });

export const ArtisanApproved = z.object({ contact_id: z.union([z.number(), z.string()]), nom_complet: z.string(), email: z.string(), timestamp: Iso });
export const ArtisanRejected = z.object({ contact_id: z.union([z.number(), z.string()]), timestamp: Iso });
export const ArtisanListQuery = z.object({ status: ArtisanRequestStatus.optional() });
