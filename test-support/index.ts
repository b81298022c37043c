export { hasBinary, ovsMissing, ovsQemuMissing } from './binaries.js';
export { type ContainerFsPaths, containerFs, containersMissing } from './container-fs.js';
export { freePort } from './free-port.js';
export { type GuestImagePaths, guestImage } from './guest-image.js';
export { NAME_CASES, type NameCase, type NameKind } from './name-cases.js';
export { type RealComponent, realComponent } from './real.js';
export { tempDir } from './temp.js';
export { uniqueName } from './unique-name.js';
