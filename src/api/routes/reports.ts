import type { LabApp } from '../app.js';

/** Routes for reports: filled in by the reports work. */
export default async function reportsRoutes(_app: LabApp): Promise<void> {}
