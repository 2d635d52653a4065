import { crc32, inflateSync } from 'node:zlib';

export const LOGO_CONTENT_TYPES = ['image/png', 'image/jpeg'] as const;
export type LogoContentType = (typeof LOGO_CONTENT_TYPES)[number];

/** Largest logo, decoded. It travels base64 in a JSON body (a third larger) and with every invoice job that overrides the seller. */
export const MAX_LOGO_BYTES = 256 * 1024;

/**
 * Largest side of a logo, in pixels. PDFKit decodes a PNG with transparency
 * into memory on every render: 2000 × 2000 is far more than a logo printed a
 * few centimetres wide needs, and bounds that work (and a small file that
 * declares a huge image).
 */
export const MAX_LOGO_SIDE_PIXELS = 2000;

export interface LogoImage {
  contentType: LogoContentType;
  width: number;
  height: number;
}

export type LogoInspection = { ok: true; image: LogoImage } | { ok: false; problem: string };

/**
 * What a logo's bytes are, checked as far as PDFKit will read them, so that a
 * logo accepted at the door can always be drawn: an image it cannot read
 * fails the job that prints it, and some PNGs it reads badly throw where no
 * caller can catch the error and end the worker process. `problem` completes
 * a sentence that starts with the field's name.
 */
export function inspectLogoImage(bytes: Uint8Array): LogoInspection {
  if (startsWith(bytes, PNG_SIGNATURE)) return inspectPng(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return inspectJpeg(bytes);
  return refuse('must be a PNG or JPEG image (its first bytes are neither signature)');
}

const refuse = (problem: string): LogoInspection => ({ ok: false, problem });

const startsWith = (bytes: Uint8Array, prefix: readonly number[]): boolean => prefix.every((byte, index) => bytes[index] === byte);

const uint32 = (bytes: Uint8Array, at: number): number => ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;

const uint16 = (bytes: Uint8Array, at: number): number => (bytes[at] << 8) | bytes[at + 1];

function sizeProblem(kind: string, width: number, height: number): string | null {
  if (width < 1 || height < 1) return `is a ${kind} image of no size (${width} × ${height} pixels)`;
  if (width > MAX_LOGO_SIDE_PIXELS || height > MAX_LOGO_SIDE_PIXELS) {
    return `must be at most ${MAX_LOGO_SIDE_PIXELS} × ${MAX_LOGO_SIDE_PIXELS} pixels; this ${kind} image is ${width} × ${height}`;
  }
  return null;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;

/** Samples per pixel and the bit depths allowed, by PNG colour type. */
const PNG_COLOUR_TYPES: Record<number, { samples: number; depths: number[] }> = {
  0: { samples: 1, depths: [1, 2, 4, 8, 16] }, // greyscale
  2: { samples: 3, depths: [8, 16] }, // RGB
  3: { samples: 1, depths: [1, 2, 4, 8] }, // palette
  4: { samples: 2, depths: [8, 16] }, // greyscale and alpha
  6: { samples: 4, depths: [8, 16] }, // RGB and alpha
};

const KNOWN_CRITICAL_CHUNKS = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND']);
const MAX_PNG_TEXT_BYTES = 16 * 1024;

function inspectPng(bytes: Uint8Array): LogoInspection {
  const damaged = (why: string) => refuse(`is a damaged PNG image (${why})`);
  let header: { width: number; height: number; depth: number; colourType: number } | undefined;
  let paletteEntries = 0;
  let transparency = false;
  const data: Uint8Array[] = [];
  let dataEnded = false;
  let ended = false;
  let at: number = PNG_SIGNATURE.length;
  while (!ended) {
    if (at + 12 > bytes.length) return damaged('it ends in the middle of a chunk, or has no IEND chunk');
    const length = uint32(bytes, at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const end = at + 12 + length;
    if (!/^[A-Za-z]{4}$/.test(type) || end > bytes.length) return damaged('it ends in the middle of a chunk');
    if (crc32(bytes.subarray(at + 4, end - 4)) !== uint32(bytes, end - 4)) return damaged(`its ${type} chunk fails its checksum`);
    const body = bytes.subarray(at + 8, end - 4);
    if (header === undefined && type !== 'IHDR') return damaged('it does not start with an IHDR chunk');
    if (data.length > 0 && type !== 'IDAT') dataEnded = true;
    switch (type) {
      case 'IHDR': {
        if (header !== undefined || length !== 13) return damaged('its IHDR chunk is not a single 13-byte header');
        header = { width: uint32(body, 0), height: uint32(body, 4), depth: body[8], colourType: body[9] };
        const colour = PNG_COLOUR_TYPES[header.colourType];
        if (!colour || !colour.depths.includes(header.depth)) return damaged(`colour type ${header.colourType} with ${header.depth}-bit samples does not exist`);
        if (body[10] !== 0 || body[11] !== 0) return damaged('unknown compression or filter method');
        // PDFKit's PNG decoder reads Adam7 passes wrongly for small images;
        // interlacing only helps web pages that load slowly anyway.
        if (body[12] !== 0) return refuse('must not be an interlaced PNG image: save it without interlacing');
        const size = sizeProblem('PNG', header.width, header.height);
        if (size) return refuse(size);
        break;
      }
      case 'PLTE':
        if (length === 0 || length % 3 !== 0 || length > 768) return damaged('its palette is not 1 to 256 RGB entries');
        paletteEntries = length / 3;
        break;
      case 'tRNS':
        transparency = true;
        break;
      case 'tEXt':
        // PDFKit's decoder spreads a text chunk into one function call's
        // arguments, which overflows the stack somewhere past 100 KiB.
        if (length > MAX_PNG_TEXT_BYTES) return refuse(`must not carry a text chunk over ${MAX_PNG_TEXT_BYTES / 1024} KiB (strip the image's metadata)`);
        break;
      case 'IDAT':
        if (dataEnded) return damaged('its IDAT chunks are not consecutive');
        data.push(body);
        break;
      case 'IEND':
        ended = true;
        break;
      default:
        // An upper-case first letter marks a chunk a decoder must understand.
        if (type.charCodeAt(0) < 0x61 && !KNOWN_CRITICAL_CHUNKS.has(type)) return damaged(`it needs the unknown chunk ${type}`);
    }
    at = end;
  }
  const { width, height, depth, colourType } = header!;
  if (colourType === 3 && paletteEntries === 0) return damaged('a palette image without a PLTE chunk');
  // PDFKit expands the transparency of a palette image pixel by pixel, and
  // throws outside any caller's reach when pixels are packed below 8 bits.
  if (colourType === 3 && transparency && depth < 8) {
    return refuse('must use 8-bit palette indices when its palette has transparency (save it as 8-bit, or as RGBA)');
  }
  if (data.length === 0) return damaged('it has no IDAT chunk');

  const rowBytes = 1 + Math.ceil((width * depth * PNG_COLOUR_TYPES[colourType].samples) / 8);
  const expected = rowBytes * height;
  let pixels: Buffer;
  try {
    pixels = inflateSync(Buffer.concat(data), { maxOutputLength: expected });
  } catch {
    return damaged('its pixel data does not decompress to the size its header states');
  }
  if (pixels.length !== expected) return damaged('its pixel data does not decompress to the size its header states');
  // Each row starts with its filter type, 0 to 4; PDFKit's decoder throws on any other.
  for (let row = 0; row < height; row++) {
    if (pixels[row * rowBytes] > 4) return damaged(`row ${row} has an unknown filter type`);
  }
  return { ok: true, image: { contentType: 'image/png', width, height } };
}

/** Frame headers PDFKit reads the size from: baseline, extended sequential and progressive, all Huffman-coded. */
const JPEG_FRAMES = new Set([0xc0, 0xc1, 0xc2]);
/** Markers PDFKit would take for a frame header (it looks for C0 to CF but C4). */
const PDFKIT_FRAME_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf]);

function inspectJpeg(bytes: Uint8Array): LogoInspection {
  const damaged = (why: string) => refuse(`is a damaged JPEG image (${why})`);
  let frame: { width: number; height: number } | undefined;
  // PDFKit skips from segment to segment by their lengths and stops at the
  // first frame header: the segments are walked the same way here, with no
  // fill bytes or stray markers between them, so both read the same header.
  let at = 2;
  for (;;) {
    if (at + 4 > bytes.length) return damaged('it ends before its first scan');
    if (bytes[at] !== 0xff) return damaged('a segment does not start with a marker');
    const marker = bytes[at + 1];
    if (marker === 0xff || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) return damaged('an unexpected marker before its first scan');
    const length = uint16(bytes, at + 2);
    if (length < 2 || at + 2 + length > bytes.length) return damaged('it ends in the middle of a segment');
    if (PDFKIT_FRAME_MARKERS.has(marker)) {
      if (frame !== undefined) return damaged('it has two frame headers');
      if (!JPEG_FRAMES.has(marker)) return refuse('must be a baseline or progressive JPEG image (not lossless, hierarchical or arithmetic-coded)');
      const components = bytes[at + 9];
      if (length < 8 || length !== 8 + 3 * components) return damaged('its frame header is malformed');
      if (bytes[at + 4] !== 8) return refuse(`must use 8-bit samples; this JPEG image uses ${bytes[at + 4]}-bit ones`);
      if (![1, 3, 4].includes(components)) return refuse(`must be a greyscale, colour or CMYK JPEG image; this one has ${components} components`);
      frame = { height: uint16(bytes, at + 5), width: uint16(bytes, at + 7) };
      const size = sizeProblem('JPEG', frame.width, frame.height);
      if (size) return refuse(size);
    }
    if (marker === 0xda) {
      if (frame === undefined) return damaged('a scan comes before its frame header');
      return { ok: true, image: { contentType: 'image/jpeg', ...frame } };
    }
    at += 2 + length;
  }
}
