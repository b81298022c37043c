// tc argv for minimega's qos (ovs-net.md §1 and §4).
import { InvalidArgumentError } from './errors.js';
import type { QosSpec } from './switch.js';

/** USER_HZ: the tick rate tc's burst is computed from (100 on Linux). */
export const CLK_TCK = 100;

const UNIT_BITS = { kbit: 1e3, mbit: 1e6, gbit: 1e9 } as const;

/** tbf burst: rate in bits/s / CLK_TCK / 1000, in kbit with 3 decimals (1mbit -> `10.000kbit`). */
export function tbfBurst(rate: number, unit: keyof typeof UNIT_BITS): string {
  return `${((rate * UNIT_BITS[unit]) / CLK_TCK / 1000).toFixed(3)}kbit`;
}

/** `tc qdisc replace root dev <link> ...` for a qos spec. */
export function qosArgv(link: string, q: QosSpec): string[] {
  const base = ['tc', 'qdisc', 'replace', 'root', 'dev', link];
  if (q.kind === 'rate') {
    if (!Number.isInteger(q.rate) || q.rate <= 0)
      throw new InvalidArgumentError(`invalid rate: ${q.rate}`);
    return [
      ...base,
      'tbf',
      'rate',
      `${q.rate}${q.unit}`,
      'burst',
      tbfBurst(q.rate, q.unit),
      'latency',
      '20ms',
    ];
  }
  const args = [...base, 'netem'];
  if (q.delay !== undefined) args.push('delay', q.delay);
  if (q.loss !== undefined) {
    if (!(q.loss >= 0 && q.loss < 100)) throw new InvalidArgumentError(`invalid loss: ${q.loss}`);
    args.push('loss', String(q.loss));
  }
  if (q.delay === undefined && q.loss === undefined) {
    throw new InvalidArgumentError('netem qos needs loss or delay');
  }
  return args;
}

/** How qos prints in `vm info` (`loss 5 delay 100ms`, `rate 1mbit`). */
export function formatQos(q: QosSpec): string {
  if (q.kind === 'rate') return `rate ${q.rate}${q.unit}`;
  const parts: string[] = [];
  if (q.loss !== undefined) parts.push(`loss ${q.loss}`);
  if (q.delay !== undefined) parts.push(`delay ${q.delay}`);
  return parts.join(' ');
}
