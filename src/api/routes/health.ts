import { Type } from '@sinclair/typebox';
import type { LabApp } from '../app.js';
import { runReadinessChecks } from '../../core/readiness.js';
import { storageReadinessChecks } from '../../db/readiness.js';
import { systemReadiness } from '../../monitoring/system.js';

/** The checks behind /health/ready, each defined by the module that owns what it checks. */
const readinessChecks = [...storageReadinessChecks, systemReadiness];

const Check = Type.Object({ name: Type.String(), ok: Type.Boolean(), detail: Type.String() });
const Readiness = Type.Object({ status: Type.String(), checks: Type.Array(Check) });

export default async function healthRoutes(app: LabApp): Promise<void> {
  app.get(
    '/health/live',
    {
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process is up',
        response: { 200: Type.Object({ status: Type.Literal('ok'), uptime_s: Type.Number() }) },
      },
    },
    async () => ({ status: 'ok' as const, uptime_s: Math.round(process.uptime()) }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: database answers, migrations current, folders writable',
        description: 'Answers 503 naming the failing check when the lab cannot serve.',
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const checks = await runReadinessChecks(app.lab, readinessChecks);
      const failing = checks.filter((c) => !c.ok);
      if (failing.length > 0) {
        return reply.status(503).send({ status: `not ready: ${failing.map((c) => c.name).join(', ')}`, checks });
      }
      return { status: 'ready', checks };
    },
  );
}
