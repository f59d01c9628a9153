import '@xterm/xterm/css/xterm.css';
import './app.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { AuditPage, EventsPage, StoragePage, WorkflowsPage } from './other-pages';
import { SessionPage } from './session-page';
import { SessionsPage } from './sessions-page';
import { connectEvents } from './ui';

const NAV: Array<[string, string]> = [
  ['#/sessions', 'Sessions'],
  ['#/events', 'Events & alerts'],
  ['#/audit', 'Audit'],
  ['#/workflows', 'Workflows'],
  ['#/storage', 'Images & volumes'],
];

function useHash(): string {
  const [h, setH] = useState(location.hash || '#/sessions');
  useEffect(() => {
    const f = () => setH(location.hash || '#/sessions');
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  return h;
}

function App() {
  const hash = useHash();
  const parts = hash.slice(2).split('/').map(decodeURIComponent);
  let page;
  if (parts[0] === 's' && parts[1]) page = <SessionPage id={parts[1]} tab={parts[2] ?? 'overview'} />;
  else if (parts[0] === 'events') page = <EventsPage />;
  else if (parts[0] === 'audit') page = <AuditPage />;
  else if (parts[0] === 'workflows') page = <WorkflowsPage />;
  else if (parts[0] === 'storage') page = <StoragePage />;
  else page = <SessionsPage />;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <nav class="top" aria-label="main">
        <strong class="brand">berth</strong>
        {NAV.map(([href, label]) => (
          <a href={href} aria-current={hash.startsWith(href) || (href === '#/sessions' && hash.startsWith('#/s/')) ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

const root = document.getElementById('app')!;
root.textContent = '';
connectEvents();
render(<App />, root);
