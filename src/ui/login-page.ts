const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The one page a visitor without a dashboard session sees: no script, no external asset. */
export function loginPage(o: { tokenLogin: boolean; message?: string }): string {
  const form = o.tokenLogin
    ? `<form method="post" action="/ui/login"><label for="token">API token</label><input id="token" name="token" type="password" autocomplete="current-password" required autofocus><button type="submit">Log in</button></form>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>berth · log in</title>
<style>:root{color-scheme:light dark;font-family:system-ui,sans-serif}body{max-width:28rem;margin:10vh auto;padding:0 1rem}
input,button{font:inherit;padding:.4rem .6rem;margin:.3rem 0;width:100%;box-sizing:border-box}.msg{color:#c0392b}</style></head>
<body><main><h1>berth</h1>${o.message ? `<p class="msg" role="alert">${esc(o.message)}</p>` : ''}
<p>Open the one-time link that <code>berth ui</code> prints${o.tokenLogin ? ', or enter the daemon\'s API token' : ''}.</p>${form}</main></body></html>`;
}
