import type { Role } from './keys.js';

/**
 * The access policy in one place. By method: reading needs viewer, creating and changing needs
 * editor, deleting needs admin; a route can demand more with `config: { role: 'admin' }`.
 */
export function requiredRole(method: string, routeRole?: Role): Role {
  const byMethod: Role =
    method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'viewer' : method === 'DELETE' ? 'admin' : 'editor';
  if (!routeRole) return byMethod;
  const order: Role[] = ['viewer', 'editor', 'admin'];
  return order.indexOf(routeRole) > order.indexOf(byMethod) ? routeRole : byMethod;
}

/**
 * Routes anyone may call even when auth is required: health probes (load balancers, Docker
 * HEALTHCHECK), the API documentation, and the dashboard's static files (they hold no data; the
 * dashboard asks for a key before calling the API). /metrics is NOT public: Prometheus sends a
 * viewer key (`authorization` in the scrape config).
 */
export function isPublicRoute(url: string | undefined, method: string, config?: { public?: boolean }): boolean {
  if (url === undefined) return true; // no route matched: the 404 (or the dashboard's fallback page)
  if (config?.public === true) return true;
  if (url.startsWith('/health/') || url === '/docs' || url.startsWith('/docs/')) return true;
  const reading = method === 'GET' || method === 'HEAD';
  // @fastify/static's routes for the dashboard: '/', '/*', '/assets/*'.
  return reading && (url === '/' || url === '/*' || url.startsWith('/assets/'));
}
