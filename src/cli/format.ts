import { BerthError } from '../common/errors.js';

/**
 * `--format` as docker's: `table`, `json`, a Go-like template (`{{.Name}}\t{{.State}}`,
 * `{{json .Labels}}`, `{{.Labels.team}}`, `table {{.ID}}\t{{.Name}}` for a table with a
 * header), or a comma-separated field list (`id,name,state`). Fields are looked up
 * case-insensitively in each row.
 */
export function formatRows(rows: ReadonlyArray<Record<string, unknown>>, format: string, table: (rows: string[][]) => string): string {
  if (format === 'json') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  if (/^[A-Za-z0-9_.]+(,[A-Za-z0-9_.]+)*$/.test(format) && !format.includes('{{')) {
    const fields = format.split(',');
    return table([fields.map((f) => f.toUpperCase()), ...rows.map((r) => fields.map((f) => text(lookup(r, f, format))))]);
  }
  const asTable = format.startsWith('table ');
  const template = (asTable ? format.slice('table '.length) : format).replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const lines = rows.map((r) => render(template, r, format));
  if (!asTable) return lines.map((l) => `${l}\n`).join('');
  const header = render(template, {}, format, (path) => path.replace(/^\./, '').toUpperCase());
  return table([header, ...lines].map((l) => l.split('\t')));
}

function render(template: string, row: Record<string, unknown>, format: string, header?: (path: string) => string): string {
  return template.replace(/\{\{\s*(json\s+)?(\.[A-Za-z0-9_.]*)\s*\}\}/g, (_, json: string | undefined, path: string) => {
    if (header) return header(path);
    const v = path === '.' ? row : lookup(row, path.slice(1), format);
    return json ? JSON.stringify(v ?? null) : text(v);
  }).replace(/\{\{[^}]*\}\}/g, (m) => {
    throw new BerthError('InvalidArgument', `--format: "${m}" is not supported; use {{.Field}}, {{.Map.key}} or {{json .Field}}`, {
      details: { problems: [{ path: '--format', message: 'unsupported template action' }] },
    });
  });
}

function lookup(row: Record<string, unknown>, path: string, format: string): unknown {
  let v: unknown = row;
  for (const key of path.split('.').filter(Boolean)) {
    if (v === null || typeof v !== 'object') return undefined;
    const obj = v as Record<string, unknown>;
    const k = key in obj ? key : Object.keys(obj).find((x) => x.toLowerCase() === key.toLowerCase());
    if (k === undefined) {
      if (v === row) {
        throw new BerthError('InvalidArgument', `--format "${format}": no field "${key}"; fields: ${Object.keys(row).join(', ')}`, {
          details: { problems: [{ path: '--format', message: `no field ${key}` }] },
        });
      }
      return undefined;
    }
    v = obj[k];
  }
  return v;
}

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return Array.isArray(v) ? v.join(',') : Object.entries(v).map(([k, x]) => `${k}=${String(x)}`).join(',');
  return String(v);
}
