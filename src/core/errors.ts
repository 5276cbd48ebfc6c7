/**
 * Errors every layer understands. Domain code throws these; the API maps `status` to the HTTP
 * status and the CLI prints `message` on one line and exits non-zero.
 */
export interface ErrorDetail {
  field?: string;
  problem: string;
  [extra: string]: unknown;
}

export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = 400,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super('VALIDATION_ERROR', message, 400, details);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, id: string | number, details: ErrorDetail[] = []) {
    super('NOT_FOUND', `${what} ${JSON.stringify(id)} was not found`, 404, details);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super('CONFLICT', message, 409, details);
  }
}
