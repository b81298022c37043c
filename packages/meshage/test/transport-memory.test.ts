import { createMemoryNetwork } from '../src/index.js';
import { transportCompliance } from './transport-compliance.js';

transportCompliance('memory', () => {
  const net = createMemoryNetwork({ latencyMs: 1, jitterMs: 2 });
  return { make: () => net.createTransport() };
});
