import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, type ErrorDetail } from '../../core/errors.js';

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** `body.name`, `query.limit`: where the problem is, in the words a client uses. */
function fieldOf(context: string | undefined, issue: ValidationIssue): string {
  const segments = (issue.instancePath ?? '').split('/').filter(Boolean);
  const missing = issue.params?.missingProperty;
  if (typeof missing === 'string') segments.push(missing);
  const extra = issue.params?.additionalProperty;
  if (typeof extra === 'string') segments.push(extra);
  return [context ?? 'body', ...segments].join('.');
}

/** One central place that turns every failure into `{"error": {code, message, details}}`. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError, request, reply) => {
    if (err instanceof AppError) {
      if (err.status >= 500) request.log.error({ err }, err.message);
      return reply.status(err.status).send({ error: { code: err.code, message: err.message, details: err.details } });
    }
    const fastifyErr = err as FastifyError & { validation?: ValidationIssue[]; validationContext?: string };
    if (fastifyErr.validation) {
      const details: ErrorDetail[] = fastifyErr.validation.map((issue) => ({
        field: fieldOf(fastifyErr.validationContext, issue),
        problem: issue.message ?? 'is invalid',
      }));
      const message = details.map((d) => `${d.field} ${d.problem}`).join('; ');
      return reply.status(400).send({ error: { code: 'VALIDATION_ERROR', message, details } });
    }
    const status = fastifyErr.statusCode && fastifyErr.statusCode >= 400 ? fastifyErr.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err }, 'request failed');
      return reply
        .status(status)
        .send({ error: { code: 'INTERNAL_ERROR', message: 'internal server error', details: [] } });
    }
    return reply
      .status(status)
      .send({ error: { code: fastifyErr.code ?? 'BAD_REQUEST', message: fastifyErr.message, details: [] } });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      error: {
        code: 'NOT_FOUND',
        message: `no route ${request.method} ${request.url.split('?')[0]}`,
        details: [{ field: 'url', problem: 'no such route; see /docs for the API' }],
      },
    });
  });
}
