// `/mesh`: the mesh as a graph: hosts on a circle, links between them, the
// node miniweb talks to marked. SVG built with DOM calls (names stay text).
import { api, banner, el } from './common.js';

interface Mesh {
  local: string;
  nodes: string[];
  edges: [string, string][];
}

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export async function meshPage(main: HTMLElement): Promise<void> {
  const summary = el('p', { className: 'count' });
  const box = el('div', { className: 'graph' });
  main.append(el('div', { className: 'toolbar' }, el('h1', { textContent: 'Mesh' }), summary), box);
  const draw = async () => {
    let m: Mesh;
    try {
      m = await api<Mesh>('/api/v1/mesh');
    } catch (e) {
      banner(`cannot read the mesh: ${(e as Error).message}`);
      return;
    }
    const size = 560;
    const r = m.nodes.length > 1 ? size / 2 - 70 : 0;
    const pos = new Map<string, [number, number]>();
    m.nodes.forEach((n, i) => {
      const a = (2 * Math.PI * i) / m.nodes.length - Math.PI / 2;
      pos.set(n, [size / 2 + r * Math.cos(a), size / 2 + r * Math.sin(a)]);
    });
    const root = svg('svg', {
      viewBox: `0 0 ${size} ${size}`,
      width: size,
      height: size,
      role: 'img',
    });
    for (const [a, b] of m.edges) {
      const p = pos.get(a);
      const q = pos.get(b);
      if (p && q)
        root.append(svg('line', { x1: p[0], y1: p[1], x2: q[0], y2: q[1], class: 'edge' }));
    }
    for (const n of m.nodes) {
      const [x, y] = pos.get(n)!;
      const g = svg('g', { class: n === m.local ? 'node local' : 'node' });
      g.append(svg('circle', { cx: x, cy: y, r: 18 }));
      const t = svg('text', { x, y: y + 34, 'text-anchor': 'middle' });
      t.textContent = n === m.local ? `${n} (local)` : n;
      g.append(t);
      root.append(g);
    }
    box.replaceChildren(root);
    summary.textContent = `${m.nodes.length} hosts, ${m.edges.length} links`;
    document.body.dataset.ready = 'true';
  };
  await draw();
  setInterval(() => {
    if (!document.hidden) void draw();
  }, 10_000);
}
