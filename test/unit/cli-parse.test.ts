import { describe, expect, it } from 'vitest';
import { auditAction } from '../../src/cli/audit-actions.js';
import { shortIds } from '../../src/cli/fail.js';
import { formatRows } from '../../src/cli/format.js';
import { duration, sinceTime } from '../../src/cli/parse.js';
import { runRequest } from '../../src/cli/run-command.js';
import { healthFlags, mountFlag, publishFlag, volumeFlag } from '../../src/cli/run-options.js';
import { sessionFilter } from '../../src/cli/session-filter.js';
import { table } from '../../src/cli/table.js';
import { DAEMON_TEMPLATES, DEBIAN_BASE_IMAGE } from '../../src/berth.js';
import { execStartExitCode } from '../../src/engine/quirks.js';
import type { Session } from '../../src/session/session.js';

describe('CLI durations', () => {
  it('take units; a plain number keeps its old unit', () => {
    expect(duration('5s', '--ttl')).toBe(5000);
    expect(duration('10m', '--timeout')).toBe(600_000);
    expect(duration('1m30s', '--x')).toBe(90_000);
    expect(duration('1.5h', '--x')).toBe(5_400_000);
    expect(duration('250ms', '--x')).toBe(250);
    expect(duration('1500', '--x')).toBe(1500);
    expect(duration('10', '-t', 's')).toBe(10_000);
    expect(duration(undefined, '--x')).toBeUndefined();
    for (const bad of ['5 s', 'soon', '5sx', '-1s', '']) expect(() => duration(bad, '--x')).toThrow(/not a duration/);
    expect(sinceTime('1m30s', '--since', 100_000)).toBe(10_000);
  });
});

describe('run flags', () => {
  it('-v, --mount and -p as docker reads them (loopback unless an IP is given)', () => {
    expect(volumeFlag('/h:/c:ro')).toEqual({ type: 'bind', source: '/h', target: '/c', readOnly: true });
    expect(volumeFlag('cache:/c')).toEqual({ type: 'volume', source: 'cache', target: '/c' });
    expect(volumeFlag('./x:/c').source).toBe(`${process.cwd()}/x`);
    expect(() => volumeFlag('/h')).toThrow(/SOURCE:TARGET/);
    expect(() => volumeFlag('/h:/c:rx')).toThrow(/SOURCE:TARGET/);
    expect(mountFlag('type=bind,src=/h,dst=/c,readonly')).toEqual({ type: 'bind', source: '/h', target: '/c', readOnly: true });
    expect(mountFlag('type=tmpfs,target=/t')).toEqual({ type: 'tmpfs', target: '/t' });
    expect(() => mountFlag('type=bind,target=/c')).toThrow(/type=/);
    expect(publishFlag('8080')).toEqual({ containerPort: 8080, hostIp: '127.0.0.1' });
    expect(publishFlag('9000:80')).toEqual({ containerPort: 80, hostPort: 9000, hostIp: '127.0.0.1' });
    expect(publishFlag('0.0.0.0:9000:80/udp')).toEqual({ containerPort: 80, hostPort: 9000, hostIp: '0.0.0.0', protocol: 'udp' });
    expect(() => publishFlag('http')).toThrow(/CONTAINER_PORT/);
    expect(() => publishFlag('70000')).toThrow(/between 1 and 65535/);
    expect(healthFlags({ healthCmd: 'true', healthInterval: '2s' })).toEqual({ cmd: ['sh', '-c', 'true'], intervalMs: 2000 });
    expect(() => healthFlags({ healthRetries: '3' })).toThrow(/need --health-cmd/);
  });

  it('IMAGE then COMMAND; with --image every word is the command', () => {
    expect(runRequest({}, ['img', 'sh', '-c', 'x'])).toMatchObject({ image: 'img', spec: { cmd: ['sh', '-c', 'x'] } });
    expect(runRequest({ image: 'img' }, ['echo', 'hi'])).toMatchObject({ image: 'img', spec: { cmd: ['echo', 'hi'] } });
    expect(runRequest({ tty: true }, ['img'])).toMatchObject({ image: 'img', spec: { tty: true, openStdin: true } });
    expect(runRequest({ rm: true, ttl: '5s' }, [])).toEqual({ removeOnExit: true, ttlMs: 5000 });
  });
});

describe('ps --filter and --format', () => {
  const s = (id: string, name: string, state: string, labels: Record<string, string>) =>
    ({ id, name, state, labels, backend: 'engine', spec: { image: 'i' }, createdAt: '2026-12-03T10:00:00Z' }) as unknown as Session;
  const list = [s('s-1', 'web', 'running', { team: 'a' }), s('s-2', 'db', 'ended', { team: 'b' }), s('s-3', 'web2', 'running', {})];

  it('filters by state, label, name, backend, id', () => {
    const pick = (...items: string[]) => list.filter(sessionFilter(items).matches).map((x) => x.id);
    expect(pick('state=running')).toEqual(['s-1', 's-3']);
    expect(pick('state=running', 'state=ended')).toEqual(['s-1', 's-2', 's-3']);
    expect(pick('label=team')).toEqual(['s-1', 's-2']);
    expect(sessionFilter(['label=team=a']).labels).toEqual({ team: 'a' });
    expect(pick('name=web')).toEqual(['s-1', 's-3']);
    expect(pick('name=web', 'state=ended')).toEqual([]);
    expect(pick('backend=local')).toEqual([]);
    expect(pick('id=s-2')).toEqual(['s-2']);
    expect(() => sessionFilter(['state=sleepy'])).toThrow(/state is one of/);
    expect(() => sessionFilter(['color=red'])).toThrow(/unknown key/);
  });

  it('formats templates, tables and field lists as docker does', () => {
    const rows = [{ ID: 's-1', Name: 'web', Labels: { team: 'a', x: '1' } }];
    expect(formatRows(rows, '{{.ID}}\\t{{.Name}}', table)).toBe('s-1\tweb\n');
    expect(formatRows(rows, '{{ .Labels.team }} {{json .Labels}}', table)).toBe('a {"team":"a","x":"1"}\n');
    expect(formatRows(rows, '{{.Labels}}', table)).toBe('team=a,x=1\n');
    expect(formatRows(rows, 'table {{.ID}}\\t{{.Name}}', table)).toBe('ID   NAME\ns-1  web\n');
    expect(formatRows(rows, 'id,name', table)).toBe('ID   NAME\ns-1  web\n');
    expect(formatRows(rows, 'json', table)).toBe(`${JSON.stringify(rows[0])}\n`);
    expect(() => formatRows(rows, '{{.Nope}}', table)).toThrow(/no field "Nope"/);
    expect(() => formatRows(rows, '{{range .Labels}}x{{end}}', table)).toThrow(/not supported/);
  });
});

describe('smaller habits', () => {
  it('audit rows name actions; unknown routes stay as they are', () => {
    expect(auditAction('POST /v1/sessions')).toBe('session create');
    expect(auditAction('POST /v1/sessions/:id/stop')).toBe('session stop');
    expect(auditAction('POST /v1/sessions/:id/exec/stream')).toBe('exec');
    expect(auditAction('PUT /v1/sessions/:id/archive')).toBe('copy in');
    expect(auditAction('POST /v1/networks/:id/connect')).toBe('network connect');
    expect(auditAction('PATCH /v1/other')).toBe('PATCH /v1/other');
  });

  it('errors show 12-character engine ids', () => {
    const id = 'b150d976'.padEnd(64, 'a');
    expect(shortIds(`copy /x out of container ${id}: Could not find the file in container ${id}`)).toBe('copy /x out of container b150d976aaaa: Could not find the file in container b150d976aaaa');
    expect(shortIds('s-0123456789ab stays')).toBe('s-0123456789ab stays');
  });

  it("the daemon's default template is the Debian base", () => {
    expect(DAEMON_TEMPLATES.default?.image).toBe(DEBIAN_BASE_IMAGE);
    expect(DEBIAN_BASE_IMAGE).toBe('berth-base:debian-bookworm');
  });

  it("Docker's 126 for a missing command becomes 127, as on Podman and in a shell", () => {
    expect(execStartExitCode(126, 'OCI runtime exec failed: exec failed: unable to start container process: exec: "x": executable file not found in $PATH: unknown')).toBe(127);
    expect(execStartExitCode(126, 'OCI runtime exec failed: exec failed: unable to start container process: exec: "/nope": stat /nope: no such file or directory: unknown')).toBe(127);
    expect(execStartExitCode(126, 'OCI runtime exec failed: exec failed: unable to start container process: exec: "/etc/passwd": permission denied: unknown')).toBe(126);
    expect(execStartExitCode(126, 'my own script said no such file or directory')).toBe(126);
    expect(execStartExitCode(3, '')).toBe(3);
  });
});
