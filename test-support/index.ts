export { realComponent, type RealComponent } from './real.js';
export { tempDir } from './temp.js';
