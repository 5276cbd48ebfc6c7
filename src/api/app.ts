import { createRequire } from 'node:module';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { LabContext } from '../lab/context.js';
import type { Logger } from '../core/logger.js';
import { registerDashboard } from './plugins/dashboard.js';
import { clientErrorHandler, registerErrorHandling } from './plugins/errors.js';
import { registerOperationsPlugins } from './plugins/operations.js';
import { RunSchema } from './contracts/training.js';
import { ErrorBody } from './schemas.js';
import { routeModules } from './routes/index.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string; description: string };

export type LabApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

declare module 'fastify' {
  interface FastifyInstance {
    lab: LabContext;
  }
}

export interface BuildOptions {
  /** Logger for requests; a silent one when omitted (tests). */
  logger?: Logger;
}

/**
 * Builds the HTTP API over an open lab. The caller owns the lab's lifetime unless it passes the
 * app to `closeWithLab`; the server entry point does, so closing the app closes the database.
 */
export async function buildApp(lab: LabContext, options: BuildOptions = {}): Promise<LabApp> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger | undefined,
    // Fastify's own two lines per request at info cost more than a health probe itself; the
    // operations plugin logs each request once, at debug unless it failed or was slow.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: lab.settings.maxUploadBytes,
    clientErrorHandler,
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false } },
    // The router rejects a malformed % escape before any route runs: answer in the lab's error shape.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const badUrl = error.code === 'FST_ERR_BAD_URL';
      void reply.status(400).send({
        error: {
          code: badUrl ? 'VALIDATION_ERROR' : (error.code ?? 'BAD_REQUEST'),
          message: badUrl ? 'the path contains a malformed % escape' : error.message,
          details: badUrl ? [{ field: 'path', problem: 'malformed percent-encoding' }] : [],
        },
      });
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('lab', lab);
  registerErrorHandling(app);
  // JSON routes take JSON (and the upload multipart): a text/plain body is a 415, never a string
  // handed to a route that expects an object.
  app.removeContentTypeParser('text/plain');
  app.addSchema(ErrorBody);
  // Run is referenced by the runs, training, search and cross-validation routes (separate plugins).
  app.addSchema(RunSchema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Chatbot Analytics Lab API', description: pkg.description, version: pkg.version },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'API key from `chatlab keys create`' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await registerOperationsPlugins(app);

  for (const routes of routeModules) await app.register(routes);
  await registerDashboard(app);
  return app;
}
