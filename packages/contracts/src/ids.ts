import { z } from "zod";

/** Server-made ids (jobId, messageId, roomId…) are JSON numbers; inputs may send a numeric string. */
export const EntityId = z.union([
  z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, "must be a positive integer")
    .transform(Number)
    .pipe(z.number().max(Number.MAX_SAFE_INTEGER)),
]);
export type EntityId = z.output<typeof EntityId>;

/** User ids are strings (an email is allowed); numbers from legacy clients are accepted as text. */
export const UserId = z.union([z.string().min(1).max(128), z.number().int().nonnegative().transform(String)]);
export type UserId = z.output<typeof UserId>;

export const TenantId = z.string().min(1).max(128);

/** The verified identity of a caller; built by the gateway from a token, never from payloads. */
export const Principal = z.object({
  tenantId: TenantId,
  userId: z.string(),
  roles: z.array(z.string()),
  name: z.string(),
});
export type Principal = z.infer<typeof Principal>;
