// `/`: the VM table across the mesh. Rows are keyed and updated in place on
// each refresh, so images are not refetched and focus is not lost.
import { api, banner, el, humanSeconds, isAdmin, page, withNs } from './common.js';
import { Thumbnails } from './thumbnails.js';

interface Vm {
  name: string;
  namespace: string;
  host: string;
  id: number;
  state: string;
  type: string;
  vcpus: number;
  memory: number;
  vlans: string[];
  ips: string[];
  tags: Record<string, string>;
  uptime: number;
}

type SortKey = 'name' | 'state' | 'host' | 'vcpus' | 'memory' | 'uptime';

const COLUMNS: { key: SortKey | ''; label: string }[] = [
  { key: '', label: '' },
  { key: 'name', label: 'Name' },
  { key: 'state', label: 'State' },
  { key: 'host', label: 'Host' },
  { key: 'vcpus', label: 'vCPUs' },
  { key: 'memory', label: 'Memory' },
  { key: '', label: 'VLANs' },
  { key: '', label: 'IPs' },
  { key: '', label: 'Tags' },
  { key: 'uptime', label: 'Uptime' },
  { key: '', label: '' },
];

interface RowEls {
  tr: HTMLTableRowElement;
  img: HTMLImageElement;
  cells: HTMLTableCellElement[];
  vm: Vm;
}

export function vmsPage(main: HTMLElement): void {
  const thumbs = new Thumbnails({ refreshMs: 30_000, concurrency: 4 });
  (window as unknown as { __thumbs: Thumbnails }).__thumbs = thumbs;
  let vms: Vm[] = [];
  let sort: { key: SortKey; dir: 1 | -1 } = { key: 'name', dir: 1 };
  const rows = new Map<string, RowEls>();

  const filter = el('input', { className: 'filter' });
  filter.placeholder = 'filter: name, host, state, tag…';
  filter.type = 'search';
  const count = el('span', { className: 'count' });
  const head = el('tr');
  for (const c of COLUMNS) {
    const th = el('th', { textContent: c.label });
    if (c.key) {
      const key = c.key;
      th.className = 'sortable';
      th.addEventListener('click', () => {
        sort = { key, dir: sort.key === key ? (-sort.dir as 1 | -1) : 1 };
        render();
      });
    }
    head.append(th);
  }
  const body = el('tbody');
  const table = el('table', { className: 'vms' }, el('thead', {}, head), body);
  main.append(
    el('div', { className: 'toolbar' }, el('h1', { textContent: 'VMs' }), filter, count),
    table,
  );
  filter.addEventListener('input', () => render());

  const key = (v: Vm) => `${v.namespace}/${v.host}/${v.name}`;
  const vmUrl = (v: Vm, rest = '', params: Record<string, string> = {}) => {
    const path = rest
      ? `/api/v1/vms/${encodeURIComponent(v.name)}${rest}`
      : `/vm/${encodeURIComponent(v.name)}`;
    const q = new URLSearchParams(params);
    if (!page.pinned && v.namespace) q.set('namespace', v.namespace);
    const s = q.toString();
    return s ? `${path}?${s}` : path;
  };

  async function act(v: Vm, action: 'start' | 'stop' | 'kill') {
    try {
      banner(undefined);
      await api(vmUrl(v, `/${action}`), { method: 'POST' });
      await refresh();
    } catch (e) {
      banner(`${action} ${v.name}: ${(e as Error).message}`);
    }
  }

  function makeRow(v: Vm): RowEls {
    const img = el('img', { className: 'thumb' });
    img.alt = '';
    img.width = 96;
    img.height = 72;
    const cells = COLUMNS.map(() => el('td'));
    cells[0]!.append(img);
    const tr = el('tr');
    tr.append(...cells);
    tr.dataset.vm = v.name;
    return { tr, img, cells, vm: v };
  }

  function fill(r: RowEls, v: Vm): void {
    r.vm = v;
    const c = r.cells;
    const link = el('a', { textContent: v.name, href: vmUrl(v) });
    c[1]!.replaceChildren(link);
    c[2]!.replaceChildren(
      el('span', { className: `badge state-${v.state.toLowerCase()}`, textContent: v.state }),
    );
    c[3]!.textContent = v.host;
    c[4]!.textContent = String(v.vcpus);
    c[5]!.textContent = `${v.memory} MB`;
    c[6]!.textContent = v.vlans.join(', ');
    c[7]!.textContent = v.ips.join(', ');
    c[8]!.textContent = Object.entries(v.tags)
      .map(([k, x]) => `${k}=${x}`)
      .join(' ');
    c[9]!.textContent = humanSeconds(v.uptime);
    const actions = c[10]!;
    actions.replaceChildren();
    if (isAdmin()) {
      const startable =
        v.state === 'BUILDING' || v.state === 'PAUSED' || v.state === 'QUIT' || v.state === 'ERROR';
      const b = (label: string, action: 'start' | 'stop' | 'kill', enabled: boolean) => {
        const btn = el('button', { textContent: label, className: `act act-${action}` });
        btn.type = 'button';
        btn.disabled = !enabled;
        btn.addEventListener('click', () => act(r.vm, action));
        return btn;
      };
      actions.append(
        b('start', 'start', startable),
        b('stop', 'stop', v.state === 'RUNNING'),
        b('kill', 'kill', v.state === 'RUNNING' || v.state === 'PAUSED' || v.state === 'BUILDING'),
      );
    }
    const live = v.type === 'kvm' && (v.state === 'RUNNING' || v.state === 'PAUSED');
    thumbs.track(r.img, vmUrl(v, '/screenshot.png', { size: '160' }), live);
  }

  function render(): void {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = vms.filter((v) => {
      if (words.length === 0) return true;
      const hay =
        `${v.name} ${v.host} ${v.state} ${v.namespace} ${v.vlans.join(' ')} ${Object.entries(v.tags)
          .map(([k, x]) => `${k}=${x}`)
          .join(' ')}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    });
    const k = sort.key;
    shown.sort((a, b) => {
      const x = a[k];
      const y = b[k];
      return (
        (typeof x === 'number' && typeof y === 'number'
          ? x - y
          : String(x).localeCompare(String(y))) * sort.dir
      );
    });
    const keep = new Set(shown.map(key));
    for (const [id, r] of rows) {
      if (!keep.has(id) && !vms.some((v) => key(v) === id)) {
        thumbs.untrack(r.img);
        rows.delete(id);
      }
    }
    const ordered: HTMLTableRowElement[] = [];
    for (const v of shown) {
      let r = rows.get(key(v));
      if (!r) {
        r = makeRow(v);
        rows.set(key(v), r);
      }
      fill(r, v);
      ordered.push(r.tr);
    }
    body.replaceChildren(...ordered);
    count.textContent = `${shown.length} of ${vms.length} VMs`;
    document.body.dataset.ready = 'true';
  }

  async function refresh(): Promise<void> {
    try {
      const res = await api<{ vms: Vm[]; warnings: { host: string; message: string }[] }>(
        withNs('/api/v1/vms'),
      );
      vms = res.vms;
      banner(
        res.warnings.length
          ? res.warnings.map((w) => `${w.host}: ${w.message}`).join('; ')
          : undefined,
      );
      render();
    } catch (e) {
      banner(`cannot list VMs: ${(e as Error).message}`);
    }
  }

  // the next refresh is planned after this one is drawn: a slow daemon or a
  // busy browser never stacks requests up
  const loop = async () => {
    if (!document.hidden) await refresh();
    setTimeout(loop, 5000);
  };
  void loop();
}
