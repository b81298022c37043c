// Page-aligned buffers. Buffer.allocUnsafe gives malloc's 16-byte alignment;
// a WebAssembly memory is mapped on page boundaries. Stream data received
// into such buffers can go to disk with O_DIRECT as it is (no copy into an
// aligned buffer, no page-cache pages), which is what @mm/iomeshage does
// with file parts.

/** alignment O_DIRECT needs of memory, file offsets and lengths (≥ any logical block size) */
export const PAGE_ALIGN = 4096;
const WASM_PAGE = 65_536;

/** the one WebAssembly API used (not in the project's TS libs) */
const wasm = (
  globalThis as {
    WebAssembly?: {
      Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
    };
  }
).WebAssembly;

/** ArrayBuffers whose first byte is page-aligned */
const aligned = new WeakSet<ArrayBufferLike>();

/** `size` bytes starting on a page boundary (a plain Buffer when WebAssembly is unavailable) */
export function alignedBuffer(size: number): Buffer {
  if (size > 0 && wasm) {
    try {
      const pages = Math.ceil(size / WASM_PAGE);
      const mem = new wasm.Memory({ initial: pages, maximum: pages });
      aligned.add(mem.buffer);
      return Buffer.from(mem.buffer, 0, size);
    } catch {
      // no wasm memory (jitless, address space): unaligned
    }
  }
  return Buffer.allocUnsafeSlow(size);
}

/** `b` starts on a page boundary and is a whole number of pages long (fit for O_DIRECT) */
export function isPageAligned(b: Uint8Array): boolean {
  return aligned.has(b.buffer) && b.byteOffset % PAGE_ALIGN === 0 && b.length % PAGE_ALIGN === 0;
}
