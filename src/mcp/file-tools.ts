import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { defineTool, type BerthTool } from './tool.js';

/** Default of `read_file`'s maxBytes: 1 MiB (the files API allows up to 64 MiB). */
export const READ_DEFAULT_BYTES = 1024 * 1024;
const READ_MAX_BYTES = 64 * 1024 * 1024;

const session = z.string().min(1).describe('The session, by id (s-…) or name');
const path = z.string().min(1).describe("Path in the sandbox: relative to the session's baseDir (default /workspace), or absolute inside it");

const entrySchema = z.object({
  name: z.string(),
  path: z.string().describe('Absolute path in the sandbox'),
  type: z.enum(['file', 'directory', 'symlink', 'other']),
  size: z.number().describe('Bytes; 0 for directories'),
  mode: z.number().describe('Permission bits, e.g. 420 (0o644)'),
  mtime: z.string(),
  linkTarget: z.string().optional(),
});

/** UTF-8 text when the bytes are valid UTF-8, else base64. */
function decode(bytes: Buffer): { encoding: 'utf8' | 'base64'; content: string } {
  try {
    return { encoding: 'utf8', content: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { encoding: 'base64', content: bytes.toString('base64') };
  }
}

const writeFile = defineTool({
  name: 'write_file',
  title: 'Write a file in a session',
  description: 'Creates or replaces a file in the sandbox (parent directories are created). Content is UTF-8 text, or base64 for binary with encoding "base64". At most 64 MiB.',
  annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: false },
  input: z.strictObject({
    session,
    path,
    content: z.string().describe('The file content'),
    encoding: z.enum(['utf8', 'base64']).default('utf8').describe('How content is encoded; default utf8'),
    mode: z.number().int().min(0).max(0o7777).optional().describe('Permission bits, e.g. 493 (0o755); default 420 (0o644)'),
  }),
  output: z.object({ path: z.string(), bytes: z.number() }),
  run: async (b, a) => {
    const content = a.encoding === 'base64' ? Buffer.from(a.content, 'base64') : a.content;
    const r = await b.files.writeFile(a.session, a.path, content, a.mode !== undefined ? { mode: a.mode } : {});
    return { path: a.path, bytes: r.bytes };
  },
});

const readFile = defineTool({
  name: 'read_file',
  title: 'Read a file in a session',
  description: 'Returns a file of the sandbox: as text when it is valid UTF-8 (encoding "utf8"), else base64 (encoding "base64"). A file larger than maxBytes is an InvalidArgument error.',
  annotations: { readOnlyHint: true, openWorldHint: false },
  input: z.strictObject({
    session,
    path,
    maxBytes: z.number().int().positive().max(READ_MAX_BYTES).default(READ_DEFAULT_BYTES).describe('Refuse files larger than this; default 1 MiB, at most 64 MiB'),
  }),
  output: z.object({ path: z.string(), bytes: z.number(), encoding: z.enum(['utf8', 'base64']), content: z.string() }),
  run: async (b, a) => {
    const bytes = await b.files.readFile(a.session, a.path, { maxBytes: a.maxBytes });
    return { path: a.path, bytes: bytes.length, ...decode(bytes) };
  },
});

const listDirectory = defineTool({
  name: 'list_directory',
  title: 'List a directory in a session',
  description: 'Entries of a sandbox directory (name, absolute path, type, size, mode, mtime), or of its whole tree with recursive.',
  annotations: { readOnlyHint: true, openWorldHint: false },
  input: z.strictObject({
    session,
    path: path.default('.').describe("Directory in the sandbox; default the session's baseDir"),
    recursive: z.boolean().default(false).describe('List the whole tree; default false'),
  }),
  output: z.object({ path: z.string(), entries: z.array(entrySchema) }),
  run: async (b, a) => ({ path: a.path, entries: await b.files.listDirectory(a.session, a.path, { recursive: a.recursive }) }),
});

const deleteFile = defineTool({
  name: 'delete_file',
  title: 'Delete a file or directory in a session',
  description: 'Removes a file, or a directory with recursive (without it a directory is a Conflict error). The baseDir itself cannot be deleted.',
  annotations: { destructiveHint: true, idempotentHint: false, openWorldHint: false },
  input: z.strictObject({ session, path, recursive: z.boolean().default(false).describe('Needed for a directory; default false') }),
  output: z.object({ path: z.string(), deleted: z.boolean() }),
  run: async (b, a) => {
    await b.files.deleteFile(a.session, a.path, { recursive: a.recursive });
    return { path: a.path, deleted: true };
  },
});

const exportDirectory = defineTool({
  name: 'export_directory',
  title: 'Copy a directory out of a session',
  description:
    "Copies a sandbox directory's contents into a directory on the host of this MCP server (created when missing; existing files are overwritten). " +
    'Entries that would land outside hostDir (.. or symlinks) are refused. Use it to keep results before end_session.',
  annotations: { destructiveHint: true, openWorldHint: false },
  input: z.strictObject({
    session,
    path: path.describe('Directory in the sandbox'),
    hostDir: z.string().refine(isAbsolute, 'must be an absolute host path').describe('Absolute directory on the host to copy into'),
  }),
  output: z.object({ hostDir: z.string(), files: z.number(), directories: z.number(), symlinks: z.number(), bytes: z.number() }),
  run: async (b, a) => {
    const r = await b.files.exportDirectory(a.session, a.path, a.hostDir);
    return { hostDir: a.hostDir, ...r };
  },
});

/** Tools over a session's files: write, read, list, delete, export. */
export const FILE_TOOLS: readonly BerthTool[] = [writeFile, readFile, listDirectory, deleteFile, exportDirectory];
