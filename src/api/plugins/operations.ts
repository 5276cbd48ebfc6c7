import type { LabApp } from '../app.js';

/**
 * Cross-cutting operations concerns applied to every route: request metrics, authentication,
 * rate limits, security headers. Filled in by the operations work.
 */
export async function registerOperationsPlugins(_app: LabApp): Promise<void> {}
