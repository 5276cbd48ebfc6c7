import type { LabApp } from '../app.js';
import analyticsRoutes from './analytics.js';
import conversationsRoutes from './conversations.js';
import datasetsRoutes from './datasets.js';
import experimentsRoutes from './experiments.js';
import healthRoutes from './health.js';
import modelMonitoringRoutes from './model-monitoring.js';
import operationsRoutes from './operations.js';
import reportsRoutes from './reports.js';
import trainingRoutes from './training.js';

/** Every route module, registered in this order. A new resource adds one line here. */
export const routeModules: Array<(app: LabApp) => Promise<void>> = [
  healthRoutes,
  datasetsRoutes,
  conversationsRoutes,
  trainingRoutes,
  experimentsRoutes,
  analyticsRoutes,
  reportsRoutes,
  operationsRoutes,
  modelMonitoringRoutes,
];
