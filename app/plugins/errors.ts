import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { isSluiceError, type SluiceError } from '../../core/errors.js';
import { appError, invalidRequest } from '../errors.js';

interface AjvLikeError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** "body.events.0.ts must be integer" from a fastify validation error. */
function describeValidation(context: string, e: AjvLikeError): { field: string; message: string } {
  const base = [context, ...(e.instancePath ?? '').split('/').filter(Boolean)].join('.');
  if (e.keyword === 'required') {
    const field = `${base}.${String(e.params?.missingProperty)}`;
    return { field, message: `${field} is required` };
  }
  if (e.keyword === 'additionalProperties') {
    const field = `${base}.${String(e.params?.additionalProperty)}`;
    return { field, message: `${field} is not allowed` };
  }
  if (e.keyword === 'enum')
    return { field: base, message: `${base} must be one of ${(e.params?.allowedValues as unknown[] | undefined)?.join(', ')}` };
  return { field: base, message: `${base} ${e.message ?? 'is invalid'}` };
}

/**
 * The Sluice error answered for any thrown error, as the body `{error: {code, message, retriable, ...}}`.
 * A Sluice error of a code that never reaches clients as such (a stream operator's) is an internal error.
 */
function toSluiceError(err: FastifyError & { validation?: AjvLikeError[]; validationContext?: string }, reqId: string): SluiceError {
  if (isSluiceError(err) && err.status !== undefined) return err;
  if (err.validation && err.validation.length > 0) {
    const { field, message } = describeValidation(err.validationContext ?? 'body', err.validation[0]!);
    return invalidRequest(field, message);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return appError('SLUICE_ERR_BODY_TOO_LARGE', [String((err as { limit?: number }).limit ?? 'the limit')]);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return appError('SLUICE_ERR_UNSUPPORTED_MEDIA_TYPE', ['given']);
    default:
      if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
        return invalidRequest('body', err.message);
      }
      return appError('SLUICE_ERR_INTERNAL', [reqId], { cause: err });
  }
}

/** Uniform error responses and 404s for the whole server. */
export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    // Errors of every room (control, workflow, …) are one class (core/errors.ts): code, status, retriable, details.
    const e = toSluiceError(err, String(request.id));
    const status = e.status ?? 500;
    // Ingest's backpressure is flow control working as designed, not a failure: logged as a refusal.
    if (status >= 500 && e.code !== 'SLUICE_ERR_INGEST_BACKLOG') request.log.error({ err }, 'request failed');
    // pino writes the message argument as `msg`: the reason goes under its own key, or the line holds two `msg`.
    else request.log.info({ code: e.code, reason: e.message }, 'request refused');
    void reply.status(status).send({ error: { code: e.code, message: e.message, retriable: e.retriable, ...e.details } });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      error: { code: 'SLUICE_ERR_NOT_FOUND', message: `${request.method} ${request.url.split('?')[0]} not found`, retriable: false },
    });
  });
});
