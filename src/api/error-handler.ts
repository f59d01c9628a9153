import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { BerthError } from '../common/errors.js';
import { ERROR_CODE_HEADER } from './audit-hook.js';

/** Maps any error to `{ code, message, details }` with the status from the one table. */
export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  const fe = err as FastifyError;
  let e: BerthError;
  if (err instanceof BerthError) e = err;
  else if (fe.validation || fe.statusCode === 400 || fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    e = new BerthError('InvalidArgument', `bad request: ${err.message}`);
  } else if (fe.statusCode === 413) e = new BerthError('InvalidArgument', 'request body too large');
  else e = BerthError.from(err);
  if (e.code === 'Internal') req.log.error({ err }, 'request failed');
  else req.log.debug({ code: e.code, reason: e.message }, 'request refused');
  void reply.status(e.httpStatus).header(ERROR_CODE_HEADER, e.code).send(e.toJSON());
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): void {
  const e = new BerthError('NotFound', `no route ${req.method} ${req.url}; see GET /v1/openapi.json`);
  void reply.status(404).header(ERROR_CODE_HEADER, e.code).send(e.toJSON());
}
