// `node --import tsx tools/guest-image/src/cli.ts`: builds the image (once,
// cached) and prints its paths and the commands that boot it at the minimega
// prompt (the same as the root README shows).
import { buildGuestImage } from './build.js';
import { buildContainerFs } from './container-fs.js';

if (process.argv.includes('--container')) {
  // the container rootfs (minitest's $images holds it as minicccfs)
  const fs = await buildContainerFs({ log: (m) => console.error(m) });
  console.log(`filesystem ${fs.dir}`);
  console.log(`tarball ${fs.tarball}`);
  console.log(`images ${fs.images}`);
  process.exit(0);
}
const img = await buildGuestImage({ log: (m) => console.error(m) });
console.log(`kernel ${img.kernel}`);
console.log(`initrd ${img.initrd}`);
console.log('# boot it at the minimega prompt:');
console.log(`vm config kernel ${img.kernel}`);
console.log(`vm config initrd ${img.initrd}`);
console.log('vm config append mm.ip=10.0.0.1/24');
console.log('vm launch kvm guest');
console.log('vm start guest');
