import { createTcpTransport } from '../src/index.js';
import { streamCompliance } from './stream-compliance.js';

// Real TCP on loopback only; discovery off (streams do not use it).
streamCompliance('tcp transport', () => ({
  make: () => createTcpTransport({ host: '127.0.0.1', port: 0, discoveryPort: false }),
}));
