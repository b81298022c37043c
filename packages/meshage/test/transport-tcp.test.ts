import { createTcpTransport } from '../src/index.js';
import { transportCompliance } from './transport-compliance.js';
import { discoveryPortFor } from './util.js';

// Real sockets on loopback only: datagrams go to 127.255.255.255.
transportCompliance('tcp', () => ({
  make: () =>
    createTcpTransport({
      host: '127.0.0.1',
      port: 0,
      discoveryPort: discoveryPortFor(1),
      broadcast: ['127.255.255.255'],
    }),
}));
