export { hasBinary, ovsMissing, ovsQemuMissing } from './binaries.js';
export { type RealComponent, realComponent } from './real.js';
export { tempDir } from './temp.js';
