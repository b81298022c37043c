import { createTcpTransport } from '../src/index.js';
import { meshCompliance } from './mesh-compliance.js';
import { discoveryPortFor } from './util.js';

// Real TCP and UDP on loopback only (datagrams to 127.255.255.255).
meshCompliance('tcp transport', () => ({
  make: () =>
    createTcpTransport({
      host: '127.0.0.1',
      port: 0,
      discoveryPort: discoveryPortFor(2),
      broadcast: ['127.255.255.255'],
    }),
}));

// The same on a private mesh: every link is TLS 1.3 after its Noise handshake.
meshCompliance('tcp transport, private (TLS links)', () => ({
  make: () =>
    createTcpTransport({
      host: '127.0.0.1',
      port: 0,
      discoveryPort: discoveryPortFor(3),
      broadcast: ['127.255.255.255'],
    }),
  key: Buffer.from('compliance key, sixteen bytes or more'),
}));
