import { AppError, type AdminWhoAmI } from "@rt/contracts";
import { bearer, TokenError } from "@rt/auth";
import { secretEquals } from "@rt/service-kit";
import type { z } from "zod";
import type { Gateway } from "../../types.ts";

export type AdminCaller = z.infer<typeof AdminWhoAmI>;

/**
 * Who calls the admin API: ADMIN_API_KEY is platform-wide; a token is an admin of its own tenant
 * only when one of its roles is in ADMIN_ROLES (empty by default, so a tenant's `admin` role is
 * not an operator unless the platform says so).
 */
export async function adminCaller(gw: Gateway, authorization: string | undefined): Promise<AdminCaller> {
  const given = bearer(authorization);
  if (!given) throw new AppError("UNAUTHENTICATED", "admin credential required (Authorization: Bearer)");
  const key = gw.config.ADMIN_API_KEY;
  if (key && secretEquals(given, key)) return { actor: "admin-api-key", platform: true, tenantId: null };
  let p: Awaited<ReturnType<typeof gw.verify>>;
  try {
    p = await gw.verify(given);
  } catch (err) {
    throw new AppError("UNAUTHENTICATED", err instanceof TokenError ? err.message : "token invalid");
  }
  if (!p.roles.some((r) => gw.config.ADMIN_ROLES.includes(r))) throw new AppError("FORBIDDEN", "not an admin: no role of ADMIN_ROLES");
  return { actor: `user:${p.tenantId}/${p.userId}`, platform: false, tenantId: p.tenantId };
}

/** The tenant a call acts on: a tenant admin's own, whatever it asks; a platform admin's choice. */
export function scopeTenant(caller: AdminCaller, asked: string | undefined): string | undefined {
  if (caller.platform) return asked;
  if (asked !== undefined && asked !== caller.tenantId) throw new AppError("FORBIDDEN", "a tenant admin acts on its own tenant only");
  return caller.tenantId!;
}

export function requirePlatform(caller: AdminCaller) {
  if (!caller.platform) throw new AppError("FORBIDDEN", "needs the platform-wide ADMIN_API_KEY");
}
