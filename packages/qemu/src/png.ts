// PPM (what QMP screendump writes) to PNG, with nearest-neighbour thumbnail
// scaling. Small enough to hand-write: one IHDR, one zlib IDAT, IEND.
import { deflateSync } from 'node:zlib';
import { QemuError } from './errors.js';

export class ImageFormatError extends QemuError {
  readonly code = 'ERR_IMAGE_FORMAT' as const;
}

export interface RgbImage {
  width: number;
  height: number;
  /** width*height*3 bytes, row-major RGB */
  pixels: Uint8Array;
}

/** Parses a binary PPM (P6, maxval 255). */
export function parsePpm(buf: Uint8Array): RgbImage {
  let pos = 0;
  const token = (): string => {
    // skip whitespace and comments
    for (;;) {
      while (pos < buf.length && /\s/.test(String.fromCharCode(buf[pos]!))) pos++;
      if (buf[pos] === 0x23) while (pos < buf.length && buf[pos] !== 0x0a) pos++;
      else break;
    }
    let t = '';
    while (pos < buf.length && !/\s/.test(String.fromCharCode(buf[pos]!)))
      t += String.fromCharCode(buf[pos++]!);
    return t;
  };
  if (token() !== 'P6') throw new ImageFormatError('not a binary PPM (P6)');
  const width = Number(token());
  const height = Number(token());
  const max = Number(token());
  pos++; // the single whitespace after maxval
  if (!(width > 0 && height > 0) || max !== 255)
    throw new ImageFormatError('unsupported PPM header');
  const pixels = buf.subarray(pos, pos + width * height * 3);
  if (pixels.length !== width * height * 3) throw new ImageFormatError('truncated PPM');
  return { width, height, pixels };
}

/** Scales to fit max x max (nearest neighbour), keeping the aspect; max 0 = unchanged. */
export function thumbnail(img: RgbImage, max: number): RgbImage {
  if (max <= 0 || (img.width <= max && img.height <= max)) return img;
  const scale = Math.min(max / img.width, max / img.height);
  const width = Math.max(1, Math.round(img.width * scale));
  const height = Math.max(1, Math.round(img.height * scale));
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(img.height - 1, Math.floor(y / scale));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(img.width - 1, Math.floor(x / scale));
      const s = (sy * img.width + sx) * 3;
      const d = (y * width + x) * 3;
      pixels[d] = img.pixels[s]!;
      pixels[d + 1] = img.pixels[s + 1]!;
      pixels[d + 2] = img.pixels[s + 2]!;
    }
  }
  return { width, height, pixels };
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encodes an RGB image as PNG (8-bit truecolour, filter 0). */
export function encodePng(img: RgbImage): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(img.width, 0);
  ihdr.writeUInt32BE(img.height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const stride = img.width * 3;
  const raw = Buffer.alloc((stride + 1) * img.height);
  for (let y = 0; y < img.height; y++) {
    raw[y * (stride + 1)] = 0;
    Buffer.from(img.pixels.buffer, img.pixels.byteOffset + y * stride, stride).copy(
      raw,
      y * (stride + 1) + 1,
    );
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** PPM bytes to PNG bytes, scaled to fit max x max (0 = full size). */
export function ppmToPng(ppm: Uint8Array, max = 0): Buffer {
  return encodePng(thumbnail(parsePpm(ppm), max));
}
