import type { LabApp } from '../app.js';

/** Routes for analytics: filled in by the analytics work. */
export default async function analyticsRoutes(_app: LabApp): Promise<void> {}
