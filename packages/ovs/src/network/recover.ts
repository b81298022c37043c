// `-recover` for networking: what a crashed daemon recorded in its state
// files (<base>/vlans, <base>/bridges, <base>/taps) and in its VMs' records
// comes back into the records: VLAN aliases first (taps name them), then the
// bridges with their pre-existing flag (so a bridge minimega made is still
// removed at exit, unlike the original), host taps and the VMs' taps.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_VLAN_NAMESPACE } from '../vlans/table.js';
import type { ManagedBridge, NetRecords } from './records.js';
import type { NetRecovery, RecoveredTap } from './types.js';

async function rows(path: string): Promise<string[][]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((r) => r[0] !== undefined && r[0] !== '');
}

/** `-recover` at start: re-adds the aliases of `<base>/vlans` (ovs-net.md §5.5). */
export async function restoreVlans(st: NetRecords): Promise<void> {
  for (const [alias, vlan] of await rows(join(st.base, 'vlans'))) {
    if (!alias || !vlan || !/^\d+$/.test(vlan)) continue;
    try {
      st.vlans.addAlias('', alias, Number(vlan));
    } catch (err) {
      st.warn(`recover: VLAN alias ${alias} ${vlan}: ${(err as Error).message}`);
    }
  }
}

export async function recoverNet(st: NetRecords, vmTaps: RecoveredTap[]): Promise<NetRecovery> {
  const out: NetRecovery = { aliases: 0, bridges: [], hostTaps: [], vmTaps: 0, errors: [] };
  for (const [alias, vlan] of await rows(join(st.base, 'vlans'))) {
    if (st.vlans.get('', alias!) === Number(vlan)) continue; // known already
    try {
      st.vlans.addAlias('', alias!, Number(vlan));
      out.aliases++;
    } catch (e) {
      out.errors.push(`VLAN alias ${alias} (${vlan}): ${(e as Error).message}`);
    }
  }
  const bridgeRows = await rows(join(st.base, 'bridges'));
  const hostRows = await rows(join(st.base, 'taps'));
  const wanted = new Set([
    ...bridgeRows.map((r) => r[0]!),
    ...hostRows.map((r) => r[0]!),
    ...vmTaps.map((t) => t.bridge),
  ]);
  if (wanted.size === 0) return out;
  const preexisting = new Map(bridgeRows.map((r) => [r[0]!, r[1] === 'true']));
  await st.withSwitch(async (sw) => {
    const bridge = async (name: string): Promise<ManagedBridge> => {
      let br = st.bridges.get(name);
      if (!br) {
        const { created } = await sw.ensureBridge(name);
        br = st.addBridge(name, preexisting.get(name) ?? !created);
        out.bridges.push(name);
      }
      return br;
    };
    for (const name of wanted) {
      try {
        await bridge(name);
      } catch (e) {
        out.errors.push(`bridge ${name}: ${(e as Error).message}`);
      }
    }
    for (const [bridgeName, tap, word] of hostRows) {
      const br = st.bridges.get(bridgeName!);
      if (!br || !tap || word === undefined) continue;
      const vlan = /^\d+$/.test(word) ? Number(word) : st.vlans.get('', word);
      if (vlan === undefined) {
        out.errors.push(`host tap ${tap}: unknown VLAN alias ${word}`);
        continue;
      }
      const ns = word.includes('//') ? word.slice(0, word.indexOf('//')) : DEFAULT_VLAN_NAMESPACE;
      br.taps.set(tap, {
        name: tap,
        bridge: br.name,
        vlan,
        host: true,
        namespace: ns,
        seq: st.recordSeq++,
      });
      out.hostTaps.push(tap);
    }
    for (const t of vmTaps) {
      const br = st.bridges.get(t.bridge);
      if (!br || !t.tap) continue;
      br.taps.set(t.tap, {
        name: t.tap,
        bridge: br.name,
        vlan: t.vlan,
        host: false,
        namespace: t.namespace,
        vm: t.vm,
        mac: t.mac,
        seq: st.recordSeq++,
      });
      out.vmTaps++;
    }
  });
  await st.writeBridges();
  await st.writeTaps();
  await st.writeVlans();
  return out;
}
