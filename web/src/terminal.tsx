import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'preact/hooks';
import { seg } from './api';

/**
 * A shell in the session over berth's WebSocket terminal protocol (binary frames: bytes;
 * text frames: JSON control). Runs through the daemon, so it works with network `none`.
 */
export function TerminalView({ sessionId }: { sessionId: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState('connecting');
  const [gen, setGen] = useState(0);
  useEffect(() => {
    const term = new Terminal({ cursorBlink: true, fontSize: 14, fontFamily: 'ui-monospace, Menlo, Consolas, monospace', theme: matchMedia('(prefers-color-scheme: dark)').matches ? {} : { background: '#fdfdfd', foreground: '#222', cursor: '#222' } });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(box.current!);
    fit.fit();
    const q = new URLSearchParams({ cols: String(term.cols), rows: String(term.rows) });
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/sessions/${seg(sessionId)}/shell?${q}`);
    ws.binaryType = 'arraybuffer';
    const enc = new TextEncoder();
    ws.onmessage = (m) => {
      if (typeof m.data !== 'string') return void term.write(new Uint8Array(m.data as ArrayBuffer));
      const c = JSON.parse(m.data) as { type: string; exitCode?: number; error?: { code: string; message: string } };
      if (c.type === 'ready') setStatus('connected');
      else if (c.type === 'exit') setStatus(`exited (${c.exitCode ?? '?'})`);
      else if (c.type === 'error') setStatus(`error [${c.error?.code}] ${c.error?.message}`);
    };
    ws.onclose = (e) => setStatus((s) => (s === 'connected' || s === 'connecting' ? `closed (${e.code})` : s));
    ws.onerror = () => setStatus('error: the terminal connection failed');
    const input = term.onData((d) => ws.readyState === WebSocket.OPEN && ws.send(enc.encode(d)));
    const resized = term.onResize(({ cols, rows }) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: 'resize', cols, rows })));
    const obs = new ResizeObserver(() => fit.fit());
    obs.observe(box.current!);
    term.focus();
    (window as unknown as { berthTerm?: Terminal }).berthTerm = term;
    return () => {
      obs.disconnect();
      input.dispose();
      resized.dispose();
      ws.close();
      term.dispose();
    };
  }, [sessionId, gen]);
  return (
    <div class="terminal-wrap">
      <p class="term-status" data-testid="term-status">
        {status} {!status.startsWith('conn') && <button onClick={() => (setStatus('connecting'), setGen(gen + 1))}>Reconnect</button>}
      </p>
      <div class="terminal" ref={box} data-testid="terminal" />
    </div>
  );
}
