import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import type { BerthError } from '../common/errors.js';
import { TRUST_HEADER, type Trust } from '../security/trust.js';
import { readableBody, socketGet, type SocketGetResponse } from '../common/socket-get.js';
import { connectionError, errorFromBody } from './daemon-errors.js';

export interface Endpoint {
  /** Unix socket of the daemon. */
  socketPath?: string;
  /** `http://host:port` (loopback) or `https://host:port` for a TCP daemon. */
  url?: string;
  token?: string;
  /** PEM CA certificate(s) trusted for an https daemon (default: the system's). */
  ca?: string | Buffer;
  /** `untrusted`: every request says so (header `x-berth-trust`), e.g. the MCP server's; the daemon then applies the untrusted callers' rules. */
  trust?: Trust;
}

const isHttps = (ep: Endpoint): boolean => ep.url?.startsWith('https:') === true;

/** A path segment (session id or name), escaped. */
export const seg = (id: string): string => encodeURIComponent(id);

/** A query string of the parameters that are set. */
export const query = (params: Record<string, string | number | boolean | undefined>): string =>
  new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)] as [string, string])).toString();

export interface RawBody {
  contentType: string;
  data: Buffer | Readable;
}

const isRaw = (b: unknown): b is RawBody => typeof b === 'object' && b !== null && 'contentType' in b && 'data' in b;

/** Opens a request to the daemon and resolves with the response (any status). A body is JSON unless raw. */
export function open(ep: Endpoint, method: string, path: string, body?: unknown): Promise<IncomingMessage> {
  const raw = isRaw(body) ? body : undefined;
  const payload = raw ? (Buffer.isBuffer(raw.data) ? raw.data : undefined) : body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const stream = raw && !Buffer.isBuffer(raw.data) ? raw.data : undefined;
  const target = ep.url ? new URL(path, ep.url) : undefined;
  const request = isHttps(ep) ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method,
        path,
        // servername '' skips the agent's TLS server-name guess, whose IPv6 regex costs ~3 ms on a cold CLI.
        ...(ep.socketPath ? { socketPath: ep.socketPath, servername: '' } : { host: target?.hostname, port: target?.port, ...(ep.ca ? { ca: ep.ca } : {}) }),
        headers: {
          ...(payload ? { 'content-type': raw?.contentType ?? 'application/json', 'content-length': payload.length } : {}),
          ...(stream ? { 'content-type': raw?.contentType ?? 'application/octet-stream', 'transfer-encoding': 'chunked' } : {}),
          ...(ep.token ? { authorization: `Bearer ${ep.token}` } : {}),
          ...(ep.trust === 'untrusted' ? { [TRUST_HEADER]: 'untrusted' } : {}),
        },
      },
      resolve,
    );
    req.on('error', (err: NodeJS.ErrnoException) => reject(connectionError(ep.socketPath ?? ep.url ?? '?', err)));
    if (stream) {
      stream.on('error', (err) => req.destroy(err));
      stream.pipe(req);
    } else req.end(payload);
  });
}

/**
 * A GET whose body may be large (an archive), read over a bare socket (see
 * common/socket-get.ts); an error answer is the daemon's BerthError, as `call`'s.
 */
export async function getLarge(ep: Endpoint, path: string): Promise<SocketGetResponse> {
  if (isHttps(ep)) {
    const res = await open(ep, 'GET', path);
    if ((res.statusCode ?? 500) >= 400) throw await errorFrom(res);
    return { headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')])), body: readableBody(res) };
  }
  const target = ep.url ? new URL(ep.url) : undefined;
  const address = ep.socketPath ? { socketPath: ep.socketPath } : { host: target?.hostname ?? 'localhost', port: Number(target?.port || 80) };
  try {
    return await socketGet(address, path, ep.token ? { authorization: `Bearer ${ep.token}` } : {});
  } catch (err) {
    const e = err as { statusCode?: number; json?: unknown };
    if (e.statusCode !== undefined) throw errorFromBody(e.statusCode, typeof e.json === 'string' ? e.json : JSON.stringify(e.json));
    throw connectionError(ep.socketPath ?? ep.url ?? '?', err as NodeJS.ErrnoException);
  }
}

export async function readBytes(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function readAll(res: IncomingMessage): Promise<string> {
  return (await readBytes(res)).toString('utf8');
}

/** Turns an error response `{ code, message, details }` into the same BerthError the daemon raised. */
export async function errorFrom(res: IncomingMessage): Promise<BerthError> {
  return errorFromBody(res.statusCode, await readAll(res));
}

/** One JSON request; resolves with the parsed body or rejects with the daemon's BerthError. */
export async function call<T>(ep: Endpoint, method: string, path: string, body?: unknown): Promise<T> {
  const res = await open(ep, method, path, body);
  if ((res.statusCode ?? 500) >= 400) throw await errorFrom(res);
  const text = await readAll(res);
  return (text ? JSON.parse(text) : undefined) as T;
}
