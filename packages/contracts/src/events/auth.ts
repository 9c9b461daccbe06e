import { z } from "zod";

export const AuthenticateInput = z.union([
  z
    .string()
    .min(1)
    .max(8192)
    .transform((token) => ({ token })),
  z.object({ token: z.string().min(1).max(8192) }),
]);
export const AuthenticatedUser = z.object({ id: z.string(), name: z.string(), roles: z.array(z.string()), tenantId: z.string() });
export const AuthenticatedOk = z.object({ success: z.literal(true), user: AuthenticatedUser, timestamp: z.string() });
export const Authenticated = z.union([AuthenticatedOk, z.object({ success: z.literal(false), error: z.string(), timestamp: z.string() })]);
export type Authenticated = z.infer<typeof Authenticated>;
