// One error shape for every response: { error: { code, message, details } }.
import { ControlRefusedError, InvalidRequestError, SimulationExistsError, SimulationNotFoundError } from '@kunlun/client';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';

export const ERROR_CODES = [
  'validation_error',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const ErrorBodySchema = z.object({
  error: z.object({ code: z.enum(ERROR_CODES), message: z.string(), details: z.unknown().optional() }),
});

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

function fromStatus(status: number): ErrorCode {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'unavailable';
  return status < 500 ? 'validation_error' : 'internal';
}

/** Maps anything thrown in a route to the error shape; messages of 5xx stay on the server. */
export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  let e: ApiError;
  if (err instanceof ApiError) e = err;
  else if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = err.validation.map((v) => ({ path: `${err.validationContext ?? 'body'}${v.instancePath.replaceAll('/', '.')}`.replace(/\.$/, ''), message: v.message }));
    e = new ApiError(400, 'validation_error', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
  } else if (isResponseSerializationError(err)) e = new ApiError(500, 'internal', 'response did not match its schema');
  else if (err instanceof InvalidRequestError) e = new ApiError(400, 'validation_error', err.message);
  else if (err instanceof ControlRefusedError) e = new ApiError(409, 'conflict', err.message);
  else if (err instanceof SimulationExistsError) e = new ApiError(409, 'conflict', err.message);
  else if (err instanceof SimulationNotFoundError) e = notFound('simulation');
  else {
    const status = (err as FastifyError).statusCode ?? 500;
    e = new ApiError(status, fromStatus(status), status < 500 ? err.message : 'internal error');
  }
  if (e.statusCode >= 500) req.log.error({ err }, 'request failed');
  return reply.code(e.statusCode).send({ error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) } });
}
