import type { FastifyInstance } from 'fastify';
import { BerthError } from '../common/errors.js';
import { loadStaticAssets, UI_HEADERS } from './static-assets.js';
import type { UiGate } from './ui-gate.js';

/** `GET /ui/` and its assets. The gate (when given) decides first who may see them. */
export function uiRoutes(app: FastifyInstance, o: { webDir?: string; gate?: UiGate } = {}): void {
  const assets = loadStaticAssets(o.webDir);
  const gate = o.gate;
  if (gate) {
    app.addHook('onRequest', async (req, reply) => {
      const r = await gate.handle(req.raw, reply.raw);
      if (r === 'answered') return void reply.hijack();
      if (r === 'cookie') (req as { uiSession?: boolean }).uiSession = true;
    });
  }
  if (gate) {
    // A one-time login link for a token holder (`berth ui` against a TCP daemon).
    app.post('/v1/ui/login-codes', async (_req, reply) => {
      const code = gate.issueCode();
      return reply.status(201).send({ code, path: `/ui/login?code=${code}` });
    });
  }
  app.get('/ui', async (_req, reply) => reply.redirect('/ui/', 303));
  app.get<{ Params: { '*': string } }>('/ui/*', async (req, reply) => {
    const name = req.params['*'] || 'index.html';
    const a = assets.get(name) ?? (name.includes('.') ? undefined : assets.get('index.html'));
    if (!a) {
      if (assets.size === 0) throw new BerthError('NotFound', 'the dashboard is not built: run `npm run build` (it writes dist/web/)');
      throw new BerthError('NotFound', `no dashboard file ${name}`);
    }
    void reply.headers({ ...UI_HEADERS, etag: a.etag }).type(a.type);
    if (req.headers['if-none-match'] === a.etag) return reply.status(304).send();
    return reply.send(a.body);
  });
}

/** True when the gate let this request through on a dashboard session cookie. */
export function hasUiSession(req: object): boolean {
  return (req as { uiSession?: boolean }).uiSession === true;
}
