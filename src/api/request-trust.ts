import type { FastifyRequest } from 'fastify';
import { invalidArgument } from '../common/errors.js';
import { lowerTrust, TRUST_HEADER, type Trust } from '../security/trust.js';

/** The trust of one request: its listener's (configured), lowered by the client's own `x-berth-trust: untrusted`; never raised. */
export type TrustOf = (req: FastifyRequest) => Trust;

/** `listener` is the trust the configuration gives the listener the request came in on (default operator). */
export function requestTrust(listener: Trust = 'operator'): TrustOf {
  return (req) => {
    const h = req.headers[TRUST_HEADER];
    if (h === undefined) return listener;
    if (h !== 'untrusted' && h !== 'operator') {
      throw invalidArgument([{ path: `headers.${TRUST_HEADER}`, message: 'must be untrusted (or operator, which cannot raise the trust of the listener)' }], 'request');
    }
    return lowerTrust(listener, h);
  };
}
