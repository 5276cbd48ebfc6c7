import type { LabApp } from '../app.js';

/** Routes for operations: filled in by the operations work. */
export default async function operationsRoutes(_app: LabApp): Promise<void> {}
