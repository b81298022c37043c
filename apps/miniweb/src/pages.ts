// The HTML shells of the pages. Data is never put into HTML here beyond a
// few escaped attributes; the page scripts fetch JSON and build the DOM with
// textContent, so hostile VM names stay text.

export type PageName = 'vms' | 'console' | 'mesh' | 'hosts' | 'login';

const TITLES: Record<PageName, string> = {
  vms: 'VMs',
  console: 'Console',
  mesh: 'Mesh',
  hosts: 'Hosts',
  login: 'Log in',
};

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

export interface PageOptions {
  page: PageName;
  /** data-* attributes for the script (escaped here) */
  data?: Record<string, string>;
}

export function renderPage(opts: PageOptions): string {
  const attrs = Object.entries({ page: opts.page, ...opts.data })
    .map(([k, v]) => ` data-${k}="${escapeHtml(v)}"`)
    .join('');
  const script = opts.page === 'console' ? 'console.js' : 'app.js';
  const nav =
    opts.page === 'login'
      ? ''
      : `<nav><a class="brand" href="/">miniweb</a><a href="/">VMs</a><a href="/hosts">Hosts</a><a href="/mesh">Mesh</a><span id="whoami"></span><button id="logout" type="button">Log out</button></nav>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>miniweb · ${TITLES[opts.page]}</title><link rel="stylesheet" href="/static/style.css"></head>
<body${attrs}>${nav}<div id="banner" hidden></div><main id="main"></main>
<script type="module" src="/static/${script}"></script></body></html>
`;
}
