// Which AEAD seals mesh records for the least CPU on this machine:
// ChaCha20-Poly1305 against AES-128-GCM and AES-256-GCM from node:crypto
// (OpenSSL), one cipher object per record as a link does, at record sizes
// the mesh sends (a small request, 1 KiB, a 64 KiB request body, a 256 KiB
// stream frame). Prints CPU time (user + sys) per record and per MiB of one
// seal plus one open, which load barely moves, and minor page faults per MiB
// (each record's output is a fresh buffer: at large sizes the kernel's page
// faults, not the cipher, are most of the cost).
// Run: pnpm exec tsx packages/meshage/bench/aead.ts [rounds=5]
import { type CipherGCMTypes, createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';

type Aead = 'chacha20-poly1305' | CipherGCMTypes;
const AEADS: Aead[] = ['chacha20-poly1305', 'aes-128-gcm', 'aes-256-gcm'];
const SIZES = [100, 1024, 64 * 1024, 256 * 1024];
const rounds = Number(process.argv[2] ?? 5);
const TAG = 16;

function sealOpen(alg: Aead, key: Buffer, nonce: Buffer, plain: Buffer): Buffer {
  const c = createCipheriv(alg as 'aes-256-gcm', key, nonce, { authTagLength: TAG });
  const sealed = c.update(plain);
  c.final();
  const d = createDecipheriv(alg as 'aes-256-gcm', key, nonce, { authTagLength: TAG });
  d.setAuthTag(c.getAuthTag());
  const out = d.update(sealed);
  d.final();
  return out;
}

/** [CPU µs per record, minor faults per MiB] of seal + open of `size` bytes */
function measure(alg: Aead, size: number): [number, number] {
  const key = randomBytes(alg === 'aes-128-gcm' ? 16 : 32);
  const nonce = Buffer.alloc(12);
  const plain = randomBytes(size);
  const n = Math.max(2000, Math.floor((16 * 2 ** 20) / size));
  const f0 = process.resourceUsage().minorPageFault;
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    nonce.writeUInt32BE(i, 8);
    sealOpen(alg, key, nonce, plain);
  }
  const c = process.cpuUsage(c0);
  const faults = process.resourceUsage().minorPageFault - f0;
  return [(c.user + c.system) / n, faults / ((n * size) / 2 ** 20)];
}

const load0 = loadavg()[0] ?? 0;
const figures = new Map<string, [number, number][]>();
for (let r = 0; r < rounds; r++) {
  for (const size of SIZES) {
    for (const alg of AEADS) {
      const k = `${alg} ${size}`;
      figures.set(k, [...(figures.get(k) ?? []), measure(alg, size)]);
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
console.log(
  `seal + open, one cipher object per record, median of ${rounds} rounds, CPU = user+sys; load ${load0.toFixed(1)} -> ${(loadavg()[0] ?? 0).toFixed(1)}`,
);
console.log(['record bytes', ...AEADS.map((a) => `${a}: µs, ms/MiB, faults/MiB`)].join(' | '));
for (const size of SIZES) {
  const cells = AEADS.map((alg) => {
    const xs = figures.get(`${alg} ${size}`) ?? [];
    const us = median(xs.map((x) => x[0]));
    const faults = median(xs.map((x) => x[1]));
    return `${us.toFixed(2)}, ${((us / 1000) * (2 ** 20 / size)).toFixed(2)}, ${faults.toFixed(0)}`;
  });
  console.log([size, ...cells].join(' | '));
}
