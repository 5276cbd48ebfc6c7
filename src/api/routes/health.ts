import { Type } from '@sinclair/typebox';
import type { LabApp } from '../app.js';
import { runReadinessChecks } from '../../core/readiness.js';

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
      const checks = await runReadinessChecks(app.lab);
      const failing = checks.filter((c) => !c.ok);
      if (failing.length > 0) {
        return reply.status(503).send({ status: `not ready: ${failing.map((c) => c.name).join(', ')}`, checks });
      }
      return { status: 'ready', checks };
    },
  );
}
