import { expect, test } from "bun:test";
import { clientAddress, trustedProxies } from "./client-address.ts";

test("X-Forwarded-For is honoured only from trusted proxies, right to left past trusted hops", () => {
  const none = trustedProxies([]);
  const trusted = trustedProxies(["127.0.0.1", "10.0.0.0/8", "fd00::/8"]);
  // Untrusted peer: the header is ignored.
  expect(clientAddress("203.0.113.5", "1.1.1.1", trusted)).toBe("203.0.113.5");
  expect(clientAddress("127.0.0.1", "1.1.1.1", none)).toBe("127.0.0.1");
  // Trusted peer: the right-most untrusted hop; a client-supplied left part cannot win.
  expect(clientAddress("127.0.0.1", "198.51.100.1", trusted)).toBe("198.51.100.1");
  expect(clientAddress("::ffff:127.0.0.1", "6.6.6.6, 198.51.100.1, 10.2.3.4", trusted)).toBe("198.51.100.1");
  expect(clientAddress("fd00::1", "2001:db8::7", trusted)).toBe("2001:db8::7");
  // Garbage ends the walk at the last trusted hop; all-trusted chains give the left-most.
  expect(clientAddress("127.0.0.1", "not-an-ip", trusted)).toBe("127.0.0.1");
  expect(clientAddress("127.0.0.1", "10.0.0.1, 10.0.0.2", trusted)).toBe("10.0.0.1");
  expect(clientAddress("127.0.0.1", undefined, trusted)).toBe("127.0.0.1");
  expect(clientAddress(undefined, "1.1.1.1", trusted)).toBeUndefined();
});
