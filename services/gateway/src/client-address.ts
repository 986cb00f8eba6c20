// Under which address a client's requests are counted (rate limits, failed-auth lockout).
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import ipaddr from 'ipaddr.js';

/**
 * IPv4 as is; IPv6 by its /64 (one host or home usually holds a whole /64, so counting single
 * addresses would let it rotate through 2^64 of them); an IPv4-mapped IPv6 address as its IPv4.
 * A value that is no address at all (a forged X-Forwarded-For entry under TRUST_PROXY=true) is
 * not a key anyone may choose: the socket's peer is counted instead.
 */
export function clientAddressKey(req: Pick<FastifyRequest, 'ip' | 'socket'>): string {
  return addressKey(req.ip) ?? addressKey(req.socket.remoteAddress) ?? 'unknown';
}

export function addressKey(raw: string | undefined): string | null {
  if (!raw) return null;
  const address = withoutDecoration(raw.trim());
  // node's strict check: ipaddr.js also takes inet_aton's shorthands (10.1.2 is 10.1.0.2).
  if (isIP(address) === 0) return null;
  try {
    const ip = ipaddr.process(address);
    if (ip.kind() === 'ipv4') return ip.toString();
    const parts = (ip as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
    return `${parts.join(':')}::/64`;
  } catch {
    return null;
  }
}

/**
 * What proxies add around an address: a port (`1.2.3.4:5678`, `[2001:db8::1]:443`), brackets,
 * an IPv6 zone (`fe80::1%eth0`, the same host whatever interface it is named by).
 */
function withoutDecoration(v: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(v);
  if (bracketed) v = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(v)) v = v.slice(0, v.lastIndexOf(':'));
  const zone = v.indexOf('%');
  return zone < 0 ? v : v.slice(0, zone);
}

/** A TRUST_PROXY entry fastify (proxy-addr) accepts: an address or a CIDR range. */
export function isAddressOrRange(v: string): boolean {
  const [address = '', bits, ...rest] = v.split('/');
  // A zone (fe80::1%eth0) names an interface, which proxy-addr cannot match: not a proxy's address.
  if (address.includes('%')) return false;
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}
