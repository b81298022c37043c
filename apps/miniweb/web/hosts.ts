// `/hosts`: load, memory, VMs and bandwidth per mesh host.
import { api, banner, el, humanSeconds, withNs } from './common.js';

interface Host {
  name: string;
  cpus: number;
  load: number[];
  memused: number;
  memtotal: number;
  rx: number;
  tx: number;
  vms: number;
  vmlimit: number;
  cpucommit: number;
  memcommit: number;
  netcommit: number;
  uptime: number;
}

const HEAD = [
  'Host',
  'CPUs',
  'Load',
  'Memory',
  'Rx/Tx MB/s',
  'VMs',
  'VM limit',
  'CPU commit',
  'Mem commit',
  'Net commit',
  'Uptime',
];

export async function hostsPage(main: HTMLElement): Promise<void> {
  const body = el('tbody');
  const head = el('tr');
  for (const h of HEAD) head.append(el('th', { textContent: h }));
  main.append(
    el('div', { className: 'toolbar' }, el('h1', { textContent: 'Hosts' })),
    el('table', { className: 'hosts' }, el('thead', {}, head), body),
  );
  const draw = async () => {
    try {
      const res = await api<{ hosts: Host[]; warnings: { host: string; message: string }[] }>(
        withNs('/api/v1/hosts'),
      );
      banner(
        res.warnings.length
          ? res.warnings.map((w) => `${w.host}: ${w.message}`).join('; ')
          : undefined,
      );
      body.replaceChildren(
        ...res.hosts.map((h) => {
          const load = h.load[0] ?? 0;
          const memPct = h.memtotal ? h.memused / h.memtotal : 0;
          const tr = el('tr');
          const cells = [
            h.name,
            String(h.cpus),
            h.load.map((x) => x.toFixed(2)).join(' '),
            `${h.memused} / ${h.memtotal} MB`,
            `${h.rx.toFixed(1)} / ${h.tx.toFixed(1)}`,
            String(h.vms),
            h.vmlimit ? String(h.vmlimit) : '—',
            String(h.cpucommit),
            `${h.memcommit} MB`,
            String(h.netcommit),
            humanSeconds(h.uptime),
          ].map((t) => el('td', { textContent: t }));
          if (load > 1.5 * h.cpus) cells[2]!.className = 'hot';
          else if (load > h.cpus) cells[2]!.className = 'warm';
          if (memPct > 0.9) cells[3]!.className = 'hot';
          else if (memPct > 0.8) cells[3]!.className = 'warm';
          tr.append(...cells);
          return tr;
        }),
      );
      document.body.dataset.ready = 'true';
    } catch (e) {
      banner(`cannot read hosts: ${(e as Error).message}`);
    }
  };
  await draw();
  setInterval(() => {
    if (!document.hidden) void draw();
  }, 5000);
}
