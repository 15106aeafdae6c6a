import { BlockList, isIP, isIPv4 } from 'node:net';
import { parseAddressRange } from './address-range.js';

/**
 * The client's address. It is the TCP peer's, unless the peer is a trusted proxy: then X-Forwarded-For is read from
 * the right, past every trusted proxy, and the first address not trusted is the client. Addresses a client writes
 * into the header itself are never believed, since they sit left of the first untrusted hop.
 */
export class ClientAddress {
  private readonly trusted: BlockList | null;

  constructor(trustedProxies: readonly string[]) {
    if (trustedProxies.length === 0) {
      this.trusted = null;
      return;
    }
    this.trusted = new BlockList();
    for (const entry of trustedProxies) {
      const range = parseAddressRange(entry);
      if (range) this.trusted.addSubnet(range.address, range.prefix, range.family);
    }
  }

  /** True when `address` is one of the trusted proxies. */
  isTrusted = (address: string): boolean => {
    if (this.trusted === null || address === '') return false;
    const plain = unmapped(address);
    const version = isIP(plain);
    return version !== 0 && this.trusted.check(plain, version === 4 ? 'ipv4' : 'ipv6');
  };

  of(peer: string | undefined, forwardedFor: string | string[] | undefined): string {
    const remote = unmapped(peer ?? '');
    if (!this.isTrusted(remote) || forwardedFor === undefined) return remote;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h.length > 0);
    let client = remote;
    for (let i = hops.length - 1; i >= 0; i--) {
      client = unmapped(hops[i] as string);
      if (!this.isTrusted(client)) return client;
    }
    return client;
  }
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) as `10.0.0.1`. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}
