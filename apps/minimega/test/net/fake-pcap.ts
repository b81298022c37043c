// A capture process for tests: records what it was asked to capture and
// which interfaces it stopped, and never ends by itself (as tcpdump on a
// live tap).
import type { PcapSpec, PcapStarter } from '@mm/ovs';

export function recordingPcap(): { pcap: PcapStarter; started: PcapSpec[]; stopped: string[] } {
  const started: PcapSpec[] = [];
  const stopped: string[] = [];
  const pcap: PcapStarter = async (spec) => {
    started.push(spec);
    return {
      exited: new Promise<void>(() => {}),
      async stop() {
        stopped.push(spec.iface);
      },
    };
  };
  return { pcap, started, stopped };
}
