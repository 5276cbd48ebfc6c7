import type { LabContext } from './context.js';

/**
 * The shape of a readiness check and the runner behind /health/ready. The checks live with what
 * they check (db/readiness.ts: database, migrations, folders; monitoring/system.ts: system
 * limits) and the health route lists them, so core/ depends on nothing above it.
 */
export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export type ReadinessCheck = (ctx: LabContext) => Promise<CheckResult>;

export async function runReadinessChecks(ctx: LabContext, checks: ReadinessCheck[]): Promise<CheckResult[]> {
  return Promise.all(checks.map((check) => check(ctx)));
}
