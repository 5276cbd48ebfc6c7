import type { LabApp } from '../app.js';

/** Routes for training: filled in by the training work. */
export default async function trainingRoutes(_app: LabApp): Promise<void> {}
