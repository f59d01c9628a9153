import { z } from 'zod';
import { createSessionSchema } from '../session/create-request.js';
import { containerSpecSchema } from '../spec/validate.js';
import { writeFilesBodySchema } from './routes/files.js';
import { execBodySchema } from './routes/sessions.js';
import { createVolumeSchema, gcOptionsSchema } from '../volume/volumes-api.js';
import { connectNetworkSchema, createNetworkSchema, disconnectNetworkSchema } from '../network/network-manager.js';
import { buildRequestSchema, ensureRequestSchema, pruneRequestSchema } from '../image/images-api.js';
import { startWorkflowSchema } from '../workflow/workflow-manager.js';

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' });
const errorRef = { $ref: '#/components/schemas/Error' };
const errors = {
  '400': { description: 'InvalidArgument', content: { 'application/json': { schema: errorRef } } },
  '404': { description: 'NotFound', content: { 'application/json': { schema: errorRef } } },
  '409': { description: 'Conflict', content: { 'application/json': { schema: errorRef } } },
  '503': { description: 'EngineUnavailable', content: { 'application/json': { schema: errorRef } } },
};
const idParam = [{ name: 'id', in: 'path', required: true, description: 'session id or name', schema: { type: 'string' } }];
const ok = (description: string) => ({ '200': { description }, ...errors });

const pathParam = { name: 'path', in: 'query', required: true, description: 'relative to the base dir, or absolute', schema: { type: 'string' } };

function filePaths(): Record<string, unknown> {
  return {
    '/v1/sessions/{id}/files': {
      put: { summary: 'write one file (body: application/octet-stream; query: path, mode)', parameters: [...idParam, pathParam], responses: ok('WriteResult') },
      post: { summary: 'write many files in one archive', parameters: idParam, requestBody: { content: { 'application/json': { schema: json(writeFilesBodySchema) } } }, responses: ok('WriteResult') },
      get: { summary: 'read a file (query: path, maxBytes)', parameters: [...idParam, pathParam], responses: ok('application/octet-stream') },
      delete: { summary: 'delete a file (query: path, recursive)', parameters: [...idParam, pathParam], responses: { '204': { description: 'deleted' }, ...errors } },
    },
    '/v1/sessions/{id}/dir': { get: { summary: 'list a directory (query: path, recursive)', parameters: [...idParam, pathParam], responses: ok('FileEntry[]') } },
    '/v1/sessions/{id}/stat': { get: { summary: 'stat a path', parameters: [...idParam, pathParam], responses: ok('FileEntry') } },
    '/v1/sessions/{id}/mkdir': { post: { summary: 'mkdir -p ({ path })', parameters: idParam, responses: { '204': { description: 'made' }, ...errors } } },
    '/v1/sessions/{id}/archive': {
      get: { summary: 'tar of a path (streams; header x-berth-path-type: file, directory, symlink or other; x-berth-path: the path resolved, URI-encoded)', parameters: [...idParam, pathParam], responses: ok('application/x-tar') },
      put: { summary: 'extract a tar into a directory (body: application/x-tar, streams)', parameters: [...idParam, pathParam], responses: { '204': { description: 'extracted' }, ...errors } },
    },
    '/v1/sessions/{id}/fork': { post: { summary: 'fork: a new session from a snapshot ({ name? })', parameters: idParam, responses: { '201': { description: 'Session' }, ...errors } } },
    '/v1/sessions/{id}/defaults': { post: { summary: 'exec defaults ({ workdir?, env? })', parameters: idParam, responses: ok('Session') } },
    '/v1/files/metrics': { get: { summary: 'count, success, failure, fallback, avgMs per operation kind', responses: { '200': { description: 'OpMetrics[]' } } } },
  };
}

function volumePaths(): Record<string, unknown> {
  const nameParam = [{ name: 'name', in: 'path', required: true, description: 'volume name', schema: { type: 'string' } }];
  return {
    '/v1/volumes': {
      post: { summary: 'create a volume (idempotent by name)', requestBody: { content: { 'application/json': { schema: json(createVolumeSchema) } } }, responses: { '201': { description: 'Volume' }, ...errors } },
      get: {
        summary: "this instance's volumes",
        parameters: [
          { name: 'kind', in: 'query', schema: { type: 'string', enum: ['workspace', 'cache', 'logs'] } },
          { name: 'session', in: 'query', description: 'owner session id', schema: { type: 'string' } },
          { name: 'label', in: 'query', description: 'key=value, repeatable', schema: { type: 'string' } },
        ],
        responses: ok('Volume[]'),
      },
    },
    '/v1/volumes/{name}': {
      get: { summary: 'one volume, with its size and the containers using it', parameters: nameParam, responses: ok('Volume') },
      delete: { summary: 'remove a volume (409 while a container uses it)', parameters: nameParam, responses: ok('{ name, removed }') },
    },
    '/v1/volumes/prune': { post: { summary: 'remove every volume no container uses', responses: ok('{ removed, reclaimedBytes }') } },
    '/v1/gc': { post: { summary: 'apply the volume cleanup policy ({ dryRun? }): the plan with a reason per volume', requestBody: { content: { 'application/json': { schema: json(gcOptionsSchema) } } }, responses: ok('GcResult') } },
  };
}

function networkPaths(): Record<string, unknown> {
  const net = [{ name: 'id', in: 'path', required: true, description: 'network id or name', schema: { type: 'string' } }];
  const body = (schema: z.ZodType) => ({ content: { 'application/json': { schema: json(schema) } } });
  return {
    '/v1/networks': {
      post: { summary: 'create (idempotent by name; other options: Conflict)', requestBody: body(createNetworkSchema), responses: { '201': { description: 'Network' }, ...errors } },
      get: { summary: "this daemon's networks (query: label=k=v, repeatable)", responses: ok('Network[]') },
    },
    '/v1/networks/prune': { post: { summary: 'remove networks no container uses (live sessions\' kept)', responses: ok('{ removed: string[] }') } },
    '/v1/networks/{id}': {
      get: { summary: 'inspect, with attached containers and addresses', parameters: net, responses: ok('Network') },
      delete: { summary: 'remove (Conflict while containers are attached)', parameters: net, responses: ok('{ id, name }') },
    },
    '/v1/networks/{id}/connect': { post: { summary: 'connect a berth container', parameters: net, requestBody: body(connectNetworkSchema), responses: ok('{ changed }') } },
    '/v1/networks/{id}/disconnect': { post: { summary: 'disconnect a container', parameters: net, requestBody: body(disconnectNetworkSchema), responses: ok('{ changed }') } },
  };
}

function imagePaths(): Record<string, unknown> {
  const ndjson = { '200': { description: 'NDJSON: { event: BuildEvent } lines, then { result } or { error: { code, message, details: { step, lastLines } } }' }, ...errors };
  return {
    '/v1/images': { get: { summary: "berth's images (label berth.image)", responses: { '200': { description: 'ImageInfo[]' } } } },
    '/v1/images/build': { post: { summary: 'build a variant or a custom Dockerfile through the engine CLI, streaming progress', requestBody: { content: { 'application/json': { schema: json(buildRequestSchema) } } }, responses: ndjson } },
    '/v1/images/ensure': { post: { summary: "a variant's image, built when missing or when its Dockerfile's hash changed", requestBody: { content: { 'application/json': { schema: json(ensureRequestSchema) } } }, responses: ndjson } },
    '/v1/images/{name}': { delete: { summary: "remove one of berth's images (query: force)", parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }], responses: ok('{ removed }') } },
    '/v1/images/prune': { post: { summary: "remove berth's dangling images ({ all?, labels? })", requestBody: { content: { 'application/json': { schema: json(pruneRequestSchema) } } }, responses: ok('{ removed: string[] }') } },
  };
}

function workflowPaths(): Record<string, unknown> {
  const runParam = [{ name: 'id', in: 'path', required: true, description: 'workflow run id (wf-…)', schema: { type: 'string' } }];
  return {
    '/v1/workflows/runs': {
      post: {
        summary: 'validate a workflow file (every problem with its line) and start a run',
        requestBody: { content: { 'application/json': { schema: json(startWorkflowSchema) } } },
        responses: { '201': { description: 'WorkflowRun (running)' }, ...errors },
      },
      get: { summary: 'runs, newest first, with their steps', parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer' } }], responses: ok('WorkflowRun[]') },
    },
    '/v1/workflows/runs/{id}': { get: { summary: 'one run with its steps', parameters: runParam, responses: ok('WorkflowRun') } },
    '/v1/workflows/runs/{id}/cancel': { post: { summary: 'cancel a run; answers when its containers are gone', parameters: runParam, responses: ok('WorkflowRun') } },
    '/v1/workflows/runs/{id}/progress': { get: { summary: 'NDJSON: the run now and after every change, until it has finished', parameters: runParam, responses: ok('application/x-ndjson') } },
  };
}

/** The OpenAPI 3.1 document served at `/v1/openapi.json`. */
export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'berth daemon API', version },
    paths: {
      '/v1/ping': { get: { summary: 'liveness', responses: { '200': { description: '{ ok: true }' } } } },
      '/v1/info': { get: { summary: 'daemon, engine and store facts', responses: { '200': { description: 'DaemonInfo' } } } },
      '/v1/sessions': {
        post: {
          summary: 'create a session',
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateSession' } } } },
          responses: { '201': { description: 'Session' }, ...errors },
        },
        get: {
          summary: 'list sessions',
          parameters: [
            { name: 'state', in: 'query', schema: { type: 'string' } },
            { name: 'all', in: 'query', schema: { type: 'boolean' } },
            { name: 'name', in: 'query', schema: { type: 'string' } },
            { name: 'label', in: 'query', description: 'key=value, repeatable', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer' } },
          ],
          responses: ok('Session[]'),
        },
      },
      '/v1/sessions/prune': {
        post: { summary: 'delete the records of ended, failed and lost sessions (body { until?: ISO date })', responses: ok('{ removed: string[] }') },
      },
      '/v1/sessions/{id}': {
        get: { summary: 'one session', parameters: idParam, responses: ok('Session') },
        delete: { summary: 'end a session (stop and remove its container)', parameters: idParam, responses: ok('Session') },
      },
      '/v1/sessions/{id}/stop': { post: { summary: 'stop', parameters: idParam, responses: ok('Session') } },
      '/v1/sessions/{id}/start': { post: { summary: 'start', parameters: idParam, responses: ok('Session') } },
      '/v1/sessions/{id}/events': { get: { summary: 'state changes', parameters: idParam, responses: ok('SessionEvent[]') } },
      '/v1/sessions/{id}/history': { get: { summary: 'exec history', parameters: idParam, responses: ok('ExecRecord[]') } },
      '/v1/sessions/{id}/exec': {
        post: {
          summary: 'run a command to completion',
          parameters: idParam,
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Exec' } } } },
          responses: ok('ExecResult'),
        },
      },
      '/v1/sessions/{id}/exec/stream': {
        post: {
          summary: 'run a command, streaming NDJSON frames {o}|{e} (base64) then {exit}',
          parameters: idParam,
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Exec' } } } },
          responses: ok('application/x-ndjson'),
        },
      },
      '/v1/sessions/{id}/logs': {
        get: {
          summary: 'container logs as NDJSON frames {o}|{e} then {end}',
          parameters: [...idParam, { name: 'follow', in: 'query', schema: { type: 'boolean' } }, { name: 'tail', in: 'query', schema: { type: 'integer' } }],
          responses: ok('application/x-ndjson'),
        },
      },
      '/v1/sessions/{id}/shell': {
        get: {
          summary:
            'WebSocket (Upgrade): an interactive shell. Binary frames are terminal bytes; text frames JSON control: {"type":"resize","cols","rows"} in, {"type":"exit","exitCode","detached"} out. Close code 4000+exit code, 4300 detached, 4500 error.',
          parameters: [
            ...idParam,
            { name: 'cmd', in: 'query', schema: { type: 'array', items: { type: 'string' } }, description: 'argv, repeated; default bash, else sh' },
            { name: 'cols', in: 'query', schema: { type: 'integer' } },
            { name: 'rows', in: 'query', schema: { type: 'integer' } },
            { name: 'env', in: 'query', schema: { type: 'array', items: { type: 'string' } }, description: 'K=V, repeated' },
            { name: 'user', in: 'query', schema: { type: 'string' } },
            { name: 'workdir', in: 'query', schema: { type: 'string' } },
            { name: 'detachKeys', in: 'query', schema: { type: 'string' }, description: 'default ctrl-p,ctrl-q; empty for none' },
          ],
          responses: { '101': { description: 'switching to WebSocket' } },
        },
      },
      '/v1/sessions/{id}/attach': {
        get: {
          summary: "WebSocket (Upgrade): the main process's terminal (sessions created with spec.tty); same frames as /shell",
          parameters: [...idParam, { name: 'cols', in: 'query', schema: { type: 'integer' } }, { name: 'rows', in: 'query', schema: { type: 'integer' } }, { name: 'detachKeys', in: 'query', schema: { type: 'string' } }],
          responses: { '101': { description: 'switching to WebSocket' } },
        },
      },
      ...filePaths(),
      ...networkPaths(),
      '/v1/sessions/{id}/security': { get: { summary: 'security score 0-100 of the session container, every check with its detail, the failed ones', parameters: idParam, responses: ok('SecurityReport') } },
      '/v1/audit': {
        get: {
          summary: 'the audit log: every state-changing request (actor, action, target, result, status, time), oldest first',
          parameters: [
            { name: 'since', in: 'query', schema: { type: 'integer' }, description: 'unix ms' },
            { name: 'limit', in: 'query', schema: { type: 'integer' }, description: 'default 1000 (the newest)' },
          ],
          responses: { '200': { description: 'AuditEntry[]' } },
        },
      },
      '/v1/ui/login-codes': {
        post: {
          summary: "TCP only: a one-time login link to the dashboard (/ui/) for the token's holder (`berth --url ... ui`); valid 5 minutes, used once",
          responses: { '201': { description: '{ code, path }: open path (`/ui/login?code=...`) on this listener' } },
        },
      },
      ...volumePaths(),
      ...imagePaths(),
      ...workflowPaths(),
    },
    components: {
      schemas: {
        CreateSession: json(createSessionSchema),
        ContainerSpec: json(containerSpecSchema),
        Exec: json(execBodySchema),
        Error: {
          type: 'object',
          required: ['code', 'message'],
          properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } },
        },
      },
    },
  };
}
