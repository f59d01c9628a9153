import { useState } from 'preact/hooks';
import { bytes, json, request, seg } from './api';
import { Action, ErrorBox, Loaded, Spinner, toFailure, useAsync } from './ui';
import type { ApiFailure } from './api';

interface Entry {
  name: string;
  path: string;
  type: string;
  size: number;
  modifiedAt?: string;
  mtime?: string;
}

const join = (dir: string, name: string) => (dir.endsWith('/') ? dir + name : `${dir}/${name}`);
const parent = (dir: string) => dir.replace(/\/[^/]+\/?$/, '') || '/';

/** List, download, upload and delete files of a running session. */
export function FileBrowser({ sessionId, baseDir }: { sessionId: string; baseDir: string }) {
  const [dir, setDir] = useState(baseDir);
  const list = useAsync(() => json<Entry[]>(`/v1/sessions/${seg(sessionId)}/dir?path=${encodeURIComponent(dir)}`), [sessionId, dir]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiFailure>();
  const upload = async (input: HTMLInputElement) => {
    const files = [...(input.files ?? [])];
    setBusy(true);
    setError(undefined);
    try {
      for (const f of files) await request(`/v1/sessions/${seg(sessionId)}/files?path=${encodeURIComponent(join(dir, f.name))}`, { method: 'PUT', raw: await f.arrayBuffer() });
      input.value = '';
      list.reload();
    } catch (err) {
      setError(toFailure(err));
    } finally {
      setBusy(false);
    }
  };
  const download = async (e: Entry) => {
    setError(undefined);
    try {
      const r = await request(`/v1/sessions/${seg(sessionId)}/files?path=${encodeURIComponent(join(dir, e.name))}`);
      const url = URL.createObjectURL(await r.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = e.name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setError(toFailure(err));
    }
  };
  return (
    <div class="files">
      <div class="toolbar">
        <button onClick={() => setDir(parent(dir))} disabled={dir === '/'} aria-label="parent directory">
          ↑
        </button>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setDir(String(new FormData(e.target as HTMLFormElement).get('dir') || '/'));
          }}
        >
          <input name="dir" value={dir} aria-label="directory" class="mono" key={dir} />
        </form>
        <label class="upload">
          Upload <input type="file" multiple data-testid="upload" onChange={(e) => void upload(e.target as HTMLInputElement)} />
        </label>
        {busy && <Spinner label="uploading" />}
      </div>
      <ErrorBox error={error} />
      <Loaded a={list}>
        {(rows) => (
          <table data-testid="files-table">
            <thead>
              <tr>
                <th>Name</th>
                <th class="num">Size</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr data-file={e.name}>
                  <td class="mono">{e.type === 'directory' || e.type === 'dir' ? <a href="#" onClick={(ev) => (ev.preventDefault(), setDir(join(dir, e.name)))}>{e.name}/</a> : e.name}</td>
                  <td class="num">{e.type === 'directory' || e.type === 'dir' ? '' : bytes(e.size)}</td>
                  <td class="actions">
                    {e.type !== 'directory' && e.type !== 'dir' && <button onClick={() => void download(e)}>Download</button>}
                    <Action label="Delete" danger confirm={`Delete ${e.name}?`} run={() => json(`/v1/sessions/${seg(sessionId)}/files?path=${encodeURIComponent(join(dir, e.name))}&recursive=true`, { method: 'DELETE' })} done={list.reload} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
    </div>
  );
}
