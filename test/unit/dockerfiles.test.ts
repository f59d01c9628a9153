import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contentHash, variantDockerfile } from '../../src/image/variants.js';

/** A Dockerfile's instructions: continuation lines joined, comments dropped. */
function instructions(text: string): Array<{ op: string; args: string }> {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const i = l.indexOf(' ');
      return { op: l.slice(0, i).toUpperCase(), args: l.slice(i + 1).trim() };
    });
}

const variants = [
  ['ubuntu', 'ubuntu:22.04', '/usr/bin/tini'],
  ['alpine', 'alpine:3.19', '/sbin/tini'],
] as const;

describe.each(variants)('container Dockerfile of %s (static)', (variant, defaultBase, tini) => {
  const text = readFileSync(variantDockerfile(variant), 'utf8');
  const ins = instructions(text);
  const ops = (op: string) => ins.filter((i) => i.op === op).map((i) => i.args);

  it('takes ARG BASE_IMAGE before FROM, defaulting to the official image', () => {
    expect(ins[0]).toEqual({ op: 'ARG', args: `BASE_IMAGE=${defaultBase}` });
    expect(ins[1]).toEqual({ op: 'FROM', args: '${BASE_IMAGE}' });
  });

  it('makes the berth user with uid 1000 owning /workspace, and runs as it there', () => {
    expect(ops('ARG')).toContain('BERTH_UID=1000');
    const run = ops('RUN').join('\n');
    expect(run).toMatch(/(useradd|adduser).*-u "\$\{BERTH_UID\}".*berth/);
    expect(run).toMatch(/mkdir -p \/workspace/);
    expect(run).toMatch(/chown berth:\S+ \/workspace/);
    expect(ops('USER')).toEqual(['berth']);
    expect(ops('WORKDIR')).toEqual(['/workspace']);
  });

  it("carries berth's labels, tini as the entrypoint, and keeps no package index or secrets", () => {
    const labels = ops('LABEL').join(' ');
    expect(labels).toContain('berth.managed="true"');
    expect(labels).toContain(`berth.image="${variant}"`);
    expect(ops('ENTRYPOINT')).toEqual([`["${tini}", "--"]`]);
    const run = ops('RUN').join('\n');
    expect(run).toMatch(variant === 'ubuntu' ? /rm -rf \/var\/lib\/apt\/lists\/\*/ : /apk add --no-cache/);
    for (const tool of ['bash', 'git', 'curl', 'python3', 'tini']) expect(run).toContain(tool);
    expect(text).not.toMatch(/(PASSWORD|TOKEN|SECRET|PRIVATE KEY)/i);
    expect(ops('ADD')).toEqual([]);
  });
});

describe('content hash', () => {
  it('changes with the Dockerfile text and with the build args, not with their order', () => {
    const a = contentHash('FROM x\n', { A: '1', B: '2' });
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(contentHash('FROM x\n', { B: '2', A: '1' })).toBe(a);
    expect(contentHash('FROM y\n', { A: '1', B: '2' })).not.toBe(a);
    expect(contentHash('FROM x\n', { A: '1', B: '3' })).not.toBe(a);
  });
});
