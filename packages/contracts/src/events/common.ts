import { z } from "zod";

/** Events that carry no payload still accept (and ignore) whatever a client sends. */
export const NoPayload = z.unknown().transform(() => ({}));

export const Iso = z.string();
