import { BerthError } from '../common/errors.js';
import { SESSION_STATES, type Session, type SessionState } from '../session/session.js';

export interface SessionFilter {
  /** States asked for (then ended ones are listed too). */
  states?: SessionState[];
  /** `label=K=V` pairs, sent to the daemon. */
  labels?: Record<string, string>;
  matches: (s: Session) => boolean;
}

const bad = (item: string, why: string) =>
  new BerthError('InvalidArgument', `--filter "${item}": ${why}; use state=…, label=KEY[=VALUE], name=…, backend=engine|local`, {
    details: { problems: [{ path: '--filter', message: why }] },
  });

/** `--filter` items as docker's: the same key twice means either, different keys all. */
export function sessionFilter(items: string[] | undefined): SessionFilter {
  const by: Record<string, string[]> = {};
  for (const item of items ?? []) {
    const i = item.indexOf('=');
    if (i < 1) throw bad(item, 'is not KEY=VALUE');
    const key = item.slice(0, i).toLowerCase();
    if (!['state', 'status', 'label', 'name', 'backend', 'id'].includes(key)) throw bad(item, `unknown key ${key}`);
    (by[key === 'status' ? 'state' : key] ??= []).push(item.slice(i + 1));
  }
  const states = by.state?.map((s) => {
    if (!SESSION_STATES.includes(s as SessionState)) throw bad(`state=${s}`, `state is one of ${SESSION_STATES.join(', ')}`);
    return s as SessionState;
  });
  const exactLabels: Record<string, string> = {};
  const labelKeys: string[] = [];
  for (const l of by.label ?? []) {
    const i = l.indexOf('=');
    if (i < 0) labelKeys.push(l);
    else exactLabels[l.slice(0, i)] = l.slice(i + 1);
  }
  return {
    ...(states ? { states } : {}),
    ...(Object.keys(exactLabels).length ? { labels: exactLabels } : {}),
    matches: (s) =>
      (!states || states.includes(s.state)) &&
      labelKeys.every((k) => k in s.labels) &&
      (!by.name || by.name.some((n) => s.name.includes(n))) &&
      (!by.id || by.id.some((n) => s.id.startsWith(n))) &&
      (!by.backend || by.backend.includes(s.backend)),
  };
}
