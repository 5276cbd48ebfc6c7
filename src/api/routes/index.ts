import type { LabApp } from '../app.js';
import analyticsRoutes from './analytics.js';
import conversationsRoutes from './conversations.js';
import crossvalRoutes from './crossval.js';
import datasetsRoutes from './datasets.js';
import examplesRoutes from './examples.js';
import discoveryRoutes from './discovery.js';
import experimentsRoutes from './experiments.js';
import healthRoutes from './health.js';
import improveRoutes from './improve.js';
import modelMonitoringRoutes from './model-monitoring.js';
import modelTypesRoutes from './model-types.js';
import operationsRoutes from './operations.js';
import predictRoutes from './predict.js';
import reportsRoutes from './reports.js';
import reviewRoutes from './review.js';
import runEventsRoutes from './run-events.js';
import runsRoutes from './runs.js';
import searchRoutes from './search.js';
import trainingRoutes from './training.js';

/** Every route module, registered in this order. A new resource adds one line here. */
export const routeModules: Array<(app: LabApp) => Promise<void>> = [
  healthRoutes,
  datasetsRoutes,
  examplesRoutes,
  conversationsRoutes,
  trainingRoutes,
  runsRoutes,
  runEventsRoutes,
  searchRoutes,
  crossvalRoutes,
  predictRoutes,
  modelTypesRoutes,
  experimentsRoutes,
  analyticsRoutes,
  discoveryRoutes,
  reportsRoutes,
  reviewRoutes,
  improveRoutes,
  operationsRoutes,
  modelMonitoringRoutes,
];
