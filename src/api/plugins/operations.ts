import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';
import { Monitoring } from '../../monitoring/index.js';
import { UNMATCHED_ROUTE } from '../../monitoring/request-metrics.js';
import { isPublicRoute, requiredRole } from '../../security/access.js';
import { roleAtLeast, verifyApiKey, type Principal, type Role } from '../../security/keys.js';
import type { LabApp } from '../app.js';

declare module 'fastify' {
  interface FastifyInstance {
    monitoring: Monitoring;
  }
  interface FastifyRequest {
    /** The API key's owner when auth is required (undefined when auth is off or the route is public). */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Demand a stronger role than the method implies (e.g. 'admin' for keys and backups). */
    role?: Role;
    /** Reachable without a key even when auth is required. */
    public?: boolean;
  }
}

/** A request slower than this is logged at warn whatever LOG_LEVEL says below it. */
export const SLOW_REQUEST_MS = 1000;
const LEVEL_VALUES: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? UNMATCHED_ROUTE;
}

/** Training runs are expensive: their mutating routes get a separate, stricter budget. */
function isTrainingMutation(request: FastifyRequest): boolean {
  return request.method !== 'GET' && request.method !== 'HEAD' && routeOf(request).startsWith('/training');
}

/**
 * Cross-cutting operations concerns applied to every route registered after this: request
 * metrics, API-key authentication and roles, rate limits, security headers. Hooks go on the root
 * instance, so route modules added later by anyone are covered without doing anything.
 */
export async function registerOperationsPlugins(app: LabApp): Promise<void> {
  const lab = app.lab;
  const monitoring = new Monitoring(lab, { logger: app.log });
  app.decorate('monitoring', monitoring);
  app.addHook('onClose', async () => monitoring.stop());

  // --- request metrics (first hook, so the time covers auth and rate limiting too). Measuring must
  // never fail a request, and an error after the answer was sent has no handler to go to: such
  // errors are logged and counted (chatlab_hook_errors_total), never thrown.
  const measured = (hook: string, request: FastifyRequest, record: () => void) => {
    try {
      record();
    } catch (err) {
      request.log.error({ err, hook }, 'request metrics hook failed');
      try {
        monitoring.metrics.hookFailed(hook);
      } catch {
        // the metrics registry itself is broken: the log line above is all that can be done
      }
    }
  };
  app.addHook('onRequest', async (request) => {
    measured('onRequest', request, () => monitoring.metrics.started());
  });
  app.addHook('onResponse', async (request, reply) => {
    measured('onResponse', request, () =>
      monitoring.metrics.finished({
        method: request.method,
        route: routeOf(request),
        statusCode: reply.statusCode,
        durationMs: reply.elapsedTime,
      }),
    );
  });

  // --- request log: one line per request at debug; server errors and slow requests always
  // (error / warn), so the log stays useful without costing every request a write at info.
  const threshold = LEVEL_VALUES[app.log.level] ?? Infinity;
  app.addHook('onResponse', async (request, reply) => {
    const level = reply.statusCode >= 500 ? 'error' : reply.elapsedTime >= SLOW_REQUEST_MS ? 'warn' : 'debug';
    if (LEVEL_VALUES[level]! < threshold) return;
    request.log[level](
      {
        req: { method: request.method, url: request.url, ip: request.ip },
        res: { statusCode: reply.statusCode },
        responseTime: Math.round(reply.elapsedTime * 100) / 100,
      },
      reply.statusCode >= 500 ? 'request failed' : level === 'warn' ? 'slow request' : 'request completed',
    );
  });

  // --- authentication and roles
  app.addHook('onRequest', async (request, reply) => {
    if (lab.settings.auth !== 'required') return;
    const config = request.routeOptions.config;
    if (isPublicRoute(request.routeOptions.url, request.method, config)) return;
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      reply.header('www-authenticate', 'Bearer realm="chatlab"');
      throw new AppError(
        'UNAUTHORIZED',
        header
          ? 'the Authorization header must be "Bearer <key>"'
          : 'an API key is required: send "Authorization: Bearer <key>" (create one with chatlab keys create)',
        401,
        [{ field: 'headers.authorization', problem: header ? 'malformed' : 'missing' }],
      );
    }
    const principal = await verifyApiKey(lab, match[1]!);
    if (!principal) {
      reply.header('www-authenticate', 'Bearer realm="chatlab", error="invalid_token"');
      throw new AppError('UNAUTHORIZED', 'the API key is unknown or revoked', 401, [
        { field: 'headers.authorization', problem: 'unknown or revoked key' },
      ]);
    }
    const need = requiredRole(request.method, config.role);
    if (!roleAtLeast(principal.role, need)) {
      throw new AppError(
        'FORBIDDEN',
        `a ${principal.role} key may not ${request.method} ${request.routeOptions.url}: it needs ${need}`,
        403,
        [{ field: 'headers.authorization', problem: `role ${principal.role} is below ${need}` }],
      );
    }
    request.principal = principal;
  });

  // Document the policy in the OpenAPI document: which routes need a key, and which role.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const method = methods.find((m) => m !== 'HEAD') ?? 'GET';
    const config = (route.config ?? {}) as { role?: Role; public?: boolean };
    if (!route.schema || isPublicRoute(route.url, method, config)) return;
    const schema = route.schema as Record<string, unknown> & { response?: Record<string, unknown> };
    const role = requiredRole(method, config.role);
    schema.security ??= [{ bearerAuth: [] }];
    const note = `Needs a ${role} API key when auth is required.`;
    schema.description = schema.description ? `${String(schema.description)}\n\n${note}` : note;
    if (schema.response) {
      for (const code of [401, 403, 429]) schema.response[code] ??= Type.Ref('ErrorBody');
    }
  });

  // --- rate limits: per API key when one was presented, else per client IP
  const { rateLimitPerMinute, trainingRateLimitPerMinute } = lab.settings;
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    max: (request) => (isTrainingMutation(request) ? trainingRateLimitPerMinute : rateLimitPerMinute),
    keyGenerator: (request) => {
      const who = request.principal ? `key:${request.principal.keyId}` : `ip:${request.ip}`;
      return isTrainingMutation(request) ? `training:${who}` : who;
    },
    // Health probes are called by machines on a schedule and must never be throttled.
    allowList: (request) => routeOf(request).startsWith('/health/'),
    errorResponseBuilder: (_request, context) =>
      new AppError(
        'RATE_LIMITED',
        `rate limit exceeded: ${context.max} requests per minute; retry in ${context.after}`,
        429,
        [{ problem: `limit ${context.max} per minute`, retry_after_s: Math.ceil(context.ttl / 1000) }],
      ),
  });

  // --- security headers; the CSP admits the same-origin dashboard and Swagger UI at /docs
  await app.register(helmet, {
    hsts: false, // the lab is usually served over plain HTTP; HSTS would lock browsers out
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // ECharts and Swagger UI set inline style attributes.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        workerSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });
}
