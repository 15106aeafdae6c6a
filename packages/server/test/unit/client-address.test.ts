import { describe, expect, it } from 'vitest';
import { ClientAddress } from '../../src/network/client-address.js';

/** Issue 16 item 7: the client's address, from X-Forwarded-For only through trusted proxies. */
describe('ClientAddress', () => {
  it('without trusted proxies the peer is the client, whatever the header says', () => {
    expect(new ClientAddress([]).of('203.0.113.9', '1.2.3.4')).toBe('203.0.113.9');
  });

  it('from a trusted proxy, the right-most address that is not a trusted proxy is the client', () => {
    const a = new ClientAddress(['10.0.0.0/8', '127.0.0.1']);
    expect(a.of('127.0.0.1', '198.51.100.7')).toBe('198.51.100.7');
    expect(a.of('::ffff:127.0.0.1', 'spoofed, 198.51.100.7, 10.1.2.3')).toBe('198.51.100.7');
    expect(a.of('127.0.0.1', ['6.6.6.6', '198.51.100.7'])).toBe('198.51.100.7');
    expect(a.of('127.0.0.1', undefined)).toBe('127.0.0.1');
    expect(a.of('127.0.0.1', '10.0.0.1, 10.0.0.2')).toBe('10.0.0.1');
  });

  it('from an untrusted peer the header is ignored', () => {
    expect(new ClientAddress(['10.0.0.0/8']).of('203.0.113.9', '10.0.0.1')).toBe('203.0.113.9');
  });
});
