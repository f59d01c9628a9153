import { BerthError } from '../common/errors.js';
import type { ListWorkflowRunsRequest, StartWorkflowRequest, WorkflowRun, WorkflowsApi } from '../workflow/workflow-run.js';
import { call, errorFrom, open, query, seg, type Endpoint } from './http.js';

/** Workflow runs through the daemon (the daemon runs them; the same interface as `Berth.workflows`). */
export class WorkflowsClient implements WorkflowsApi {
  constructor(private readonly ep: Endpoint) {}

  /** Through the daemon, `baseDir` is needed for relative mount sources: the client sends its current directory when none is given. */
  start(request: StartWorkflowRequest): Promise<WorkflowRun> {
    return call(this.ep, 'POST', '/v1/workflows/runs', { baseDir: process.cwd(), ...request });
  }

  list(request: ListWorkflowRunsRequest = {}): Promise<WorkflowRun[]> {
    const qs = query({ limit: request.limit });
    return call(this.ep, 'GET', `/v1/workflows/runs${qs ? `?${qs}` : ''}`);
  }

  get(id: string): Promise<WorkflowRun> {
    return call(this.ep, 'GET', `/v1/workflows/runs/${seg(id)}`);
  }

  cancel(id: string): Promise<WorkflowRun> {
    return call(this.ep, 'POST', `/v1/workflows/runs/${seg(id)}/cancel`, {});
  }

  async watch(id: string, onUpdate?: (run: WorkflowRun) => void): Promise<WorkflowRun> {
    const res = await open(this.ep, 'GET', `/v1/workflows/runs/${seg(id)}/progress`);
    if ((res.statusCode ?? 500) >= 400) throw await errorFrom(res);
    let last: WorkflowRun | undefined;
    let rest = '';
    const take = (line: string) => {
      if (!line) return;
      const v = JSON.parse(line) as WorkflowRun | { streamError: { code: string; message: string } };
      if ('streamError' in v) throw new BerthError(v.streamError.code as never, v.streamError.message);
      last = v;
      onUpdate?.(v);
    };
    for await (const chunk of res) {
      const parts = (rest + (chunk as Buffer).toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      parts.forEach(take);
    }
    take(rest);
    if (!last || !['succeeded', 'failed', 'cancelled'].includes(last.status)) {
      return this.get(id);
    }
    return last;
  }
}
