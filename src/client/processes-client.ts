import { BerthError } from '../common/errors.js';
import type { DetachedProcess, ProcessesApi, ProcessOutput, StartProcessOptions } from '../agent/processes-api.js';
import { framesOf } from './client.js';
import { call, errorFrom, open, seg, type Endpoint } from './http.js';

/** `ProcessesApi` through the daemon (`/v1/sessions/:id/processes`). */
export class ProcessesClient implements ProcessesApi {
  constructor(private readonly ep: Endpoint) {}

  private path(session: string, id?: string, verb?: string): string {
    return `/v1/sessions/${seg(session)}/processes${id ? `/${seg(id)}` : ''}${verb ? `/${verb}` : ''}`;
  }

  start(session: string, options: StartProcessOptions): Promise<DetachedProcess> {
    return call(this.ep, 'POST', this.path(session), options);
  }

  list(session: string): Promise<DetachedProcess[]> {
    return call(this.ep, 'GET', this.path(session));
  }

  wait(session: string, id: string, options: { timeoutMs?: number } = {}): Promise<DetachedProcess> {
    return call(this.ep, 'POST', this.path(session, id, 'wait'), options);
  }

  async signal(session: string, id: string, signal?: string | number): Promise<void> {
    await call(this.ep, 'POST', this.path(session, id, 'signal'), signal === undefined ? {} : { signal });
  }

  async input(session: string, id: string, data: string | Buffer, options: { eof?: boolean } = {}): Promise<void> {
    const b = typeof data === 'string' ? Buffer.from(data) : data;
    await call(this.ep, 'POST', this.path(session, id, 'stdin'), { data: b.toString('base64'), encoding: 'base64', ...(options.eof ? { eof: true } : {}) });
  }

  async output(session: string, id: string): Promise<ProcessOutput> {
    const res = await open(this.ep, 'GET', this.path(session, id, 'output'));
    if ((res.statusCode ?? 500) >= 400) throw await errorFrom(res);
    const { stdout, stderr, last } = framesOf(res);
    const exit = last.then((f): DetachedProcess => {
      if (f && 'exit' in f) return { id, pid: 0, cmd: '', running: false, exitCode: f.exit.exitCode, terminal: false };
      if (f && 'error' in f) throw new BerthError(f.error.code as never, f.error.message);
      throw new BerthError('Conflict', 'stopped following the process');
    });
    exit.catch(() => undefined);
    return { stdout, stderr, exit, close: () => res.destroy() };
  }
}
