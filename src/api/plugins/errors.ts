import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
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

/** An enum's problem names the values it allows (AJV's own message does not). */
function allowedValuesOf(issue: ValidationIssue): string | null {
  const allowed = issue.params?.allowedValues;
  return Array.isArray(allowed) ? `must be one of ${allowed.join(', ')}` : null;
}

/** Fastify's own 4xx codes, in the API's vocabulary (clients switch on `code`). */
const FASTIFY_CODES: Record<string, { code: string; field?: string; message?: string }> = Object.assign(
  Object.create(null) as Record<string, { code: string; field?: string; message?: string }>,
  {
    FST_ERR_CTP_INVALID_MEDIA_TYPE: {
      code: 'UNSUPPORTED_MEDIA_TYPE',
      field: 'headers.content-type',
      message: 'send application/json (or multipart/form-data to POST /datasets/upload)',
    },
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'BAD_REQUEST', field: 'headers.content-length' },
    FST_ERR_CTP_INVALID_JSON_BODY: { code: 'VALIDATION_ERROR', field: 'body' },
    FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'VALIDATION_ERROR', field: 'body' },
    FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', field: 'body' },
    FST_ERR_CTP_INVALID_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', field: 'headers.content-type' },
  },
);

/**
 * Database states that are not the request's fault and pass: 503 with what to do, never a 500.
 * SQLite (better-sqlite3 `code`) and PostgreSQL (SQLSTATE) alike.
 */
function databaseState(err: unknown): { code: string; message: string; retryAfter?: number } | null {
  const code = String((err as { code?: unknown })?.code ?? '');
  if (/^SQLITE_(BUSY|LOCKED)/.test(code) || code === '55P03' || code === '40P01') {
    return {
      code: 'DATABASE_BUSY',
      message: 'the database is busy (another process holds its write lock); retry in a few seconds',
      retryAfter: 5,
    };
  }
  if (/^SQLITE_(READONLY|CANTOPEN)/.test(code) || code === '25006' || code === 'EROFS') {
    return {
      code: 'DATABASE_READ_ONLY',
      message:
        'the database cannot be written (check "folders": DATA_DIR or the database file is read-only); see GET /health/ready',
    };
  }
  if (code === 'SQLITE_FULL' || code === '53100' || code === 'ENOSPC') {
    return {
      code: 'DISK_FULL',
      message: 'the disk holding the database is full (check "system"); see GET /health/ready',
    };
  }
  return null;
}

/**
 * Errors Node's HTTP parser answers before Fastify sees a request (431 headers too large, 400
 * malformed request, 408): the same JSON error shape, written on the socket.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const [code, message] =
    status === 431
      ? ['HEADERS_TOO_LARGE', 'the request headers are larger than the server accepts']
      : status === 408
        ? ['REQUEST_TIMEOUT', 'the request took too long to arrive']
        : ['BAD_REQUEST', 'malformed HTTP request'];
  const body = JSON.stringify({ error: { code, message, details: [{ field: 'headers', problem: message }] } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
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
        problem: allowedValuesOf(issue) ?? issue.message ?? 'is invalid',
      }));
      const message = details.map((d) => `${d.field} ${d.problem}`).join('; ');
      return reply.status(400).send({ error: { code: 'VALIDATION_ERROR', message, details } });
    }
    const state = databaseState(err) ?? databaseState((err as { cause?: unknown }).cause);
    if (state) {
      request.log.warn({ err }, state.message);
      if (state.retryAfter) reply.header('retry-after', String(state.retryAfter));
      return reply.status(503).send({ error: { code: state.code, message: state.message, details: [] } });
    }
    const status = fastifyErr.statusCode && fastifyErr.statusCode >= 400 ? fastifyErr.statusCode : 500;
    const known = fastifyErr.code ? FASTIFY_CODES[fastifyErr.code] : undefined;
    if (known && status < 500) {
      const message = known.message ? `${fastifyErr.message}: ${known.message}` : fastifyErr.message;
      return reply.status(status).send({
        error: { code: known.code, message, details: known.field ? [{ field: known.field, problem: message }] : [] },
      });
    }
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
