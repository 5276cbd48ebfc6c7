import type { LabApp } from '../app.js';

/** Routes for conversations: filled in by the conversations work. */
export default async function conversationsRoutes(_app: LabApp): Promise<void> {}
