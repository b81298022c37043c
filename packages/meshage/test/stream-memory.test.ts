import { createMemoryNetwork, type MemoryNetwork } from '../src/index.js';
import { streamCompliance } from './stream-compliance.js';

let net: MemoryNetwork | undefined;
streamCompliance('memory transport', () => ({
  make: () => {
    net ??= createMemoryNetwork({ latencyMs: 1 });
    return net.createTransport();
  },
  cleanup: async () => {
    net = undefined;
  },
}));
