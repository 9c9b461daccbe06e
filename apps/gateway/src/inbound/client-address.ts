import { BlockList, isIP } from "node:net";

/** An IPv4 client seen on a dual-stack socket (`::ffff:1.2.3.4`) is the IPv4 address. */
const plain = (a: string) => (a.startsWith("::ffff:") && isIP(a.slice(7)) === 4 ? a.slice(7) : a);

/** TRUSTED_PROXIES (IPs and CIDRs, checked by the config schema) as a matcher. */
export function trustedProxies(list: string[]): (address: string) => boolean {
  if (list.length === 0) return () => false;
  const b = new BlockList();
  for (const entry of list) {
    const [ip, bits] = entry.split("/") as [string, string | undefined];
    const type = isIP(ip) === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) b.addAddress(plain(ip), type);
    else b.addSubnet(ip, Number(bits), type);
  }
  return (address) => {
    const a = plain(address);
    const family = isIP(a);
    return family !== 0 && b.check(a, family === 6 ? "ipv6" : "ipv4");
  };
}

/**
 * The client's address: the direct peer, unless the peer is a trusted proxy; then walk
 * X-Forwarded-For from the right (each proxy appends the address it saw) past trusted proxies to
 * the first address none of ours vouches for. An entry that is not an IP ends the walk at the last
 * trusted hop, so a forged header can never name an arbitrary client.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | null | undefined, trusted: (a: string) => boolean): string | undefined {
  if (!peer) return undefined;
  let client = plain(peer);
  if (!forwardedFor || !trusted(client)) return client;
  const hops = forwardedFor.split(",").map((h) => h.trim());
  for (let i = hops.length - 1; i >= 0 && trusted(client); i--) {
    const hop = plain(hops[i]!);
    if (!isIP(hop)) break;
    client = hop;
  }
  return client;
}
