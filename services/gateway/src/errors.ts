// One error shape for every response: { error: { code, message, details } }.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  ControlRefusedError,
  ControlTargetNotFoundError,
  InvalidRequestError,
  SimulationExistsError,
  SimulationNotFoundError,
} from '@kunlun/client';
import type { FastifyError, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';

export const ERROR_CODES = [
  'validation_error',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'uri_too_long',
  'headers_too_large',
  'request_timeout',
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

/**
 * Adds to a route's documented responses every error status it can answer, from what the route
 * is: any can be 400 (its params, query or body) or 500; one that needs a role 401, 403, 429 and 503;
 * one with path parameters 404 and 414; one with a body 413 and 415; one on a simulation 409
 * (its read model holds an earlier simulation, see simulation-ref.ts). Statuses a route adds
 * itself (409 for a refused control, 503) it declares. Run from onRoute: the OpenAPI document
 * lists them all and cannot miss one a new route gets.
 */
export function documentErrors(route: RouteOptions): void {
  const schema = (route.schema ?? {}) as { hide?: boolean; response?: Record<string, unknown> };
  if (schema.hide) return;
  const methods = [route.method].flat();
  const statuses = [400, 500];
  // 503: the identity provider's keys out of reach, or the gateway closing.
  if (route.config?.role) statuses.push(401, 403, 429, 503);
  if (route.url.includes(':')) statuses.push(404, 414);
  if (methods.some((m) => m === 'POST' || m === 'PUT' || m === 'PATCH')) statuses.push(413, 415);
  if (/\/simulations\/:id(\/|$)/.test(route.url)) statuses.push(409);
  route.schema = {
    ...schema,
    response: { ...Object.fromEntries(statuses.map((s) => [s, ErrorBodySchema])), ...schema.response },
  };
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

function fromStatus(status: number): ErrorCode {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 405) return 'method_not_allowed';
  if (status === 409) return 'conflict';
  if (status === 413) return 'payload_too_large';
  if (status === 414) return 'uri_too_long';
  if (status === 415) return 'unsupported_media_type';
  if (status === 431) return 'headers_too_large';
  if (status === 408) return 'request_timeout';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'unavailable';
  return status < 500 ? 'validation_error' : 'internal';
}

/**
 * What node's HTTP parser refuses before fastify sees a request (headers past the size limit, a
 * malformed request line): answered on the socket in the same shape, then closed.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // A response already under way on this connection (a pipelined request behind an event
  // stream): another response written now would land inside it. Only closing is safe.
  // Also before its headers are out (a slow handler): the client would take our answer for its.
  const inFlight = (socket as Duplex & { _httpMessage?: unknown })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight) {
    socket.destroy();
    return;
  }
  const [status, code, message]: [number, ErrorCode, string] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'the request headers are larger than the server accepts']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'the request was not sent in time']
        : [400, 'validation_error', 'the request could not be parsed'];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  // A client that never reads would keep the half-closed socket: it goes a little later.
  setTimeout(() => socket.destroyed || socket.destroy(), 5_000).unref();
}

/** Errors fastify answers before any route runs (a bad URL, a parameter past the length limit). */
export function frameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const mapped =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new ApiError(414, 'uri_too_long', 'a path segment is longer than the server accepts')
      : err.code === 'FST_ERR_BAD_URL'
        ? new ApiError(400, 'validation_error', 'the URL is not valid (a malformed percent-encoding)')
        : err;
  return errorHandler(mapped, req, reply);
}

/** Maps anything thrown in a route to the error shape; messages of 5xx stay on the server. */
export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  let e: ApiError;
  if (err instanceof ApiError) e = err;
  else if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = err.validation.map((v) => ({
      path: `${err.validationContext ?? 'body'}${v.instancePath.replaceAll('/', '.')}`.replace(/\.$/, ''),
      message: v.message,
    }));
    e = new ApiError(400, 'validation_error', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
  } else if (isResponseSerializationError(err)) e = new ApiError(500, 'internal', 'response did not match its schema');
  else if (err instanceof InvalidRequestError) e = new ApiError(400, 'validation_error', err.message);
  else if (err instanceof ControlTargetNotFoundError) e = new ApiError(404, 'not_found', err.message);
  else if (err instanceof ControlRefusedError) e = new ApiError(409, 'conflict', err.message);
  else if (err instanceof SimulationExistsError) e = new ApiError(409, 'conflict', err.message);
  else if (err instanceof SimulationNotFoundError) e = notFound('simulation');
  else {
    const status = (err as FastifyError).statusCode ?? 500;
    e = new ApiError(status, fromStatus(status), status < 500 ? err.message : 'internal error');
  }
  // 503 is a known, passing state (draining, a store briefly away): worth a warning, not an error.
  if (e.statusCode === 503) req.log.warn({ code: e.code, reason: e.message }, 'request refused: unavailable');
  else if (e.statusCode >= 500) req.log.error({ err }, 'request failed');
  // RFC 6750: what a 401 wants, and whether the token presented was the trouble.
  if (e.statusCode === 401)
    void reply.header(
      'www-authenticate',
      req.headers.authorization ? 'Bearer realm="kunlun", error="invalid_token"' : 'Bearer realm="kunlun"',
    );
  return reply
    .code(e.statusCode)
    .send({ error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) } });
}
