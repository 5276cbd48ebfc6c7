import type { LabApp } from '../app.js';

/** Routes for datasets: filled in by the datasets work. */
export default async function datasetsRoutes(_app: LabApp): Promise<void> {}
