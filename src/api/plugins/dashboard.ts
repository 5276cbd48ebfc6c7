import type { LabApp } from '../app.js';

/** Serves the built dashboard (dist/web) at `/`. Filled in by the dashboard work. */
export async function registerDashboard(_app: LabApp): Promise<void> {}
