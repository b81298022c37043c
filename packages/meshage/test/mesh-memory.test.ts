import { createMemoryNetwork } from '../src/index.js';
import { meshCompliance } from './mesh-compliance.js';

meshCompliance('memory transport', () => {
  const net = createMemoryNetwork({ latencyMs: 1, jitterMs: 1, validateFrames: true });
  return { make: () => net.createTransport() };
});
