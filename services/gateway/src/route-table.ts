// The routes the app has, by path pattern, so a request for a known path with another method is
// answered 405 with Allow (fastify itself only knows "no route": 404).
export class RouteTable {
  private readonly routes: Array<{ pattern: RegExp; methods: Set<string> }> = [];

  add(method: string | string[], url: string): void {
    if (url === '*' || url === '/*') return; // a catch-all (CORS preflight) says nothing about which paths exist
    const pattern = new RegExp(`^${url.split('/').map(segment).join('/')}/?$`);
    const known = this.routes.find((r) => r.pattern.source === pattern.source);
    const methods = known?.methods ?? new Set<string>();
    for (const m of [method].flat()) methods.add(m.toUpperCase());
    if (!known) this.routes.push({ pattern, methods });
  }

  /** Methods some route answers on this concrete path, sorted; empty when no route matches it. */
  methodsOf(path: string): string[] {
    const out = new Set<string>();
    for (const r of this.routes) if (r.pattern.test(path)) for (const m of r.methods) out.add(m);
    return [...out].sort();
  }
}

function segment(s: string): string {
  if (s === '*') return '.*';
  if (s.startsWith(':')) return '[^/]+';
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
