import type { LabApp } from '../app.js';

/** Routes for experiments: filled in by the experiments work. */
export default async function experimentsRoutes(_app: LabApp): Promise<void> {}
