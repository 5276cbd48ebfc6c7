import type { LabApp } from '../app.js';
import healthRoutes from './health.js';

/** Every route module, registered in this order. A new resource adds one line here. */
export const routeModules: Array<(app: LabApp) => Promise<void>> = [healthRoutes];
