// `node --import tsx tools/guest-image/src/cli.ts`: builds the image and prints its paths.
import { buildGuestImage } from './build.js';

const img = await buildGuestImage({ log: (m) => console.error(m) });
console.log(`kernel ${img.kernel}`);
console.log(`initrd ${img.initrd}`);
