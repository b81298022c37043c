export { type RealComponent, realComponent } from './real.js';
export { tempDir } from './temp.js';
