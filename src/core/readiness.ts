/**
 * The shape of a readiness check and the runner behind /health/ready. The checks live with what
 * they check (db/readiness.ts: database, migrations, folders; monitoring/system.ts: system
 * limits) and the health route lists them; the context they read is theirs to name, so core/
 * depends on nothing above it.
 */
export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export type ReadinessCheck<Context> = (ctx: Context) => Promise<CheckResult>;

export async function runReadinessChecks<Context>(
  ctx: Context,
  checks: Array<ReadinessCheck<Context>>,
): Promise<CheckResult[]> {
  return Promise.all(checks.map((check) => check(ctx)));
}
