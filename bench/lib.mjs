// Shared helpers for the benches: argument parsing, percentiles, a report line per measurement.
import { parseArgs } from 'node:util';

/** `--engine docker|podman|both` (default both), `--n N` iterations (default given by the bench). */
export function benchArgs(defaultN) {
  const { values } = parseArgs({ options: { engine: { type: 'string', default: 'both' }, n: { type: 'string' } } });
  const engines = values.engine === 'both' ? ['docker', 'podman'] : [values.engine];
  return { engines, n: Number(values.n ?? defaultN) };
}

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summary(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

/** Times `fn` once, in ms. */
export async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Milliseconds with two decimals under 10 ms (keystrokes), one above. */
const ms = (v) => v.toFixed(v < 10 ? 2 : 1);

/**
 * Prints one table: each row's p50/p99 and its p50 ratio against `baseline`.
 * `target` is the ratio the issue asks for, printed beside the row it applies to.
 */
export function report(title, rows, baseline, targets = {}) {
  const base = summary(rows[baseline]);
  console.log(`\n${title}`);
  for (const [label, samples] of Object.entries(rows)) {
    const s = summary(samples);
    const ratio = s.p50 / base.p50;
    const target = targets[label] ? `  (target <= ${targets[label].toFixed(2)}x: ${ratio <= targets[label] ? 'met' : 'MISSED'})` : '';
    console.log(
      `  ${label.padEnd(24)} n=${String(s.n).padEnd(4)} p50 ${ms(s.p50).padStart(7)} ms  p99 ${ms(s.p99).padStart(7)} ms  ratio p50 ${ratio.toFixed(2)}x${label === baseline ? ' (baseline)' : ''}${target}`,
    );
  }
}
