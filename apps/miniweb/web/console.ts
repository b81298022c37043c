// `/vm/{name}`: the VM's console, noVNC over miniweb's WebSocket (proxied
// through the daemon hosting the VM). Viewers get a view-only session; when
// the console cannot connect the page falls back to refreshed screenshots.
import RFB from '@novnc/novnc';
import { banner, el, initNav, isAdmin, page } from './common.js';

const name = page.vm ?? '';
const params = new URLSearchParams();
if (page.namespace && !page.pinned) params.set('namespace', page.namespace);
const qs = params.toString() ? `?${params}` : '';
const main = document.getElementById('main')!;
initNav();

const status = el('span', { className: 'status', textContent: 'connecting…' });
const screen = el('div', { className: 'screen' });
const fallback = el('img', { className: 'fallback' });
fallback.hidden = true;
fallback.alt = `screenshot of ${name}`;
const reconnect = el('button', { textContent: 'Reconnect' });
reconnect.type = 'button';
main.append(
  el('div', { className: 'toolbar' }, el('h1', { textContent: name }), status, reconnect),
  screen,
  fallback,
);

let fallbackTimer: number | undefined;
function showFallback(why: string): void {
  status.textContent = `console unavailable (${why}); showing screenshots`;
  document.body.dataset.console = 'fallback';
  fallback.hidden = false;
  const load = () => {
    fallback.src = `/api/v1/vms/${encodeURIComponent(name)}/screenshot.png${qs}${qs ? '&' : '?'}t=${Date.now()}`;
  };
  load();
  clearInterval(fallbackTimer);
  fallbackTimer = window.setInterval(load, 3000);
}

function connect(): void {
  clearInterval(fallbackTimer);
  fallback.hidden = true;
  screen.replaceChildren();
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${proto}://${location.host}/api/v1/vms/${encodeURIComponent(name)}/vnc${qs}`;
  const rfb = new RFB(screen, url, { shared: true });
  rfb.viewOnly = !isAdmin();
  rfb.scaleViewport = true;
  rfb.background = '#111';
  (window as unknown as { __rfb: RFB }).__rfb = rfb;
  rfb.addEventListener('connect', () => {
    status.textContent = isAdmin() ? 'connected' : 'connected (view only)';
    document.body.dataset.console = 'connected';
    banner(undefined);
  });
  rfb.addEventListener('disconnect', (e) => {
    const clean = (e as CustomEvent<{ clean: boolean }>).detail?.clean;
    showFallback(clean ? 'disconnected' : 'connection failed');
  });
}

reconnect.addEventListener('click', connect);
connect();
