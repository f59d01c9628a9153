import { z } from 'zod';
import { createSessionSchema } from '../session/create-request.js';
import { containerSpecSchema } from '../spec/validate.js';
import { writeFilesBodySchema } from './routes/files.js';
import { execBodySchema } from './routes/sessions.js';
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
      get: { summary: 'tar of a path (streams; header x-berth-is-dir)', parameters: [...idParam, pathParam], responses: ok('application/x-tar') },
      put: { summary: 'extract a tar into a directory (body: application/x-tar, streams)', parameters: [...idParam, pathParam], responses: { '204': { description: 'extracted' }, ...errors } },
    },
    '/v1/sessions/{id}/fork': { post: { summary: 'fork: a new session from a snapshot ({ name? })', parameters: idParam, responses: { '201': { description: 'Session' }, ...errors } } },
    '/v1/sessions/{id}/defaults': { post: { summary: 'exec defaults ({ workdir?, env? })', parameters: idParam, responses: ok('Session') } },
    '/v1/files/metrics': { get: { summary: 'count, success, failure, fallback, avgMs per operation kind', responses: { '200': { description: 'OpMetrics[]' } } } },
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
