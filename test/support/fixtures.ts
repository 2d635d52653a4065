import { crc32, deflateSync } from 'node:zlib';

/** A valid workout body; override fields per test. */
export function workoutBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    userId: 'user-1',
    activity: 'strength',
    startedAt: '2026-11-20T07:30:00Z',
    durationSec: 3600,
    calories: 420,
    notes: 'leg day',
    sets: [
      { exercise: 'squat', reps: 5, weightKg: 100 },
      { exercise: 'lunge', reps: 12 },
    ],
    ...overrides,
  };
}

/** A valid invoice body; override fields per test. */
export function invoiceBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    orderId: 'order-1',
    customer: { name: 'Ada Lovelace', email: 'ada@example.com', address: '12 Analytical Row, London' },
    currency: 'EUR',
    lines: [
      { description: 'Annual plan', quantity: 1, unitPriceCents: 9900 },
      { description: 'Extra seat', quantity: 3, unitPriceCents: 1999 },
    ],
    taxRatePercent: 20,
    issuedAt: '2026-11-20',
    ...overrides,
  };
}

/** A valid invoice profile body (PUT /v1/invoice-profile); override fields per test. */
export function invoiceProfileBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Analytical Engines Ltd',
    address: '1 Difference Lane\nLondon EC1A 1AA',
    taxId: 'GB123456789',
    footer: 'Payable within 30 days.',
    numberPrefix: 'AE-',
    ...overrides,
  };
}

export interface PngOptions {
  width?: number;
  height?: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey and alpha, 6 RGBA. */
  colourType?: 0 | 2 | 3 | 4 | 6;
  bitDepth?: 1 | 2 | 4 | 8 | 16;
  interlaced?: boolean;
  /** Palette images: a tRNS chunk giving the first entry transparency. */
  transparency?: boolean;
  /** Extra ancillary chunks, after IHDR: [type, data]. */
  chunks?: Array<[string, Buffer]>;
}

const PNG_SAMPLES = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

function pngChunk(type: string, data: Buffer): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/**
 * A small, valid PNG image (a diagonal pattern), built here so that tests
 * own every byte: the logo checks are tested against images made to break
 * them one rule at a time.
 */
export function pngImage(options: PngOptions = {}): Buffer {
  const { width = 12, height = 6, colourType = 2, bitDepth = 8, interlaced = false, transparency = false, chunks = [] } = options;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([bitDepth, colourType, 0, 0, interlaced ? 1 : 0], 8);
  const rowBytes = Math.ceil((width * bitDepth * PNG_SAMPLES[colourType]) / 8);
  // Filter type 0 on every row; only non-interlaced rows are laid out (an interlaced image is refused before its pixels are read).
  const raw = Buffer.alloc((rowBytes + 1) * height);
  for (let row = 0; row < height; row++) {
    for (let byte = 0; byte < rowBytes; byte++) raw[row * (rowBytes + 1) + 1 + byte] = (row * 37 + byte * 11) & 0xff;
  }
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', header)];
  for (const [type, data] of chunks) parts.push(pngChunk(type, data));
  if (colourType === 3) {
    parts.push(pngChunk('PLTE', Buffer.from(Array.from({ length: 256 * 3 }, (_, index) => (index * 7) & 0xff))));
    if (transparency) parts.push(pngChunk('tRNS', Buffer.from([0])));
  }
  parts.push(pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/**
 * A valid baseline JPEG image, mid-grey, 8-bit greyscale: every 8 × 8 block
 * is a DC coefficient of 0 and an end-of-block, with one-code Huffman tables.
 */
export function jpegImage(options: { width?: number; height?: number } = {}): Buffer {
  const { width = 16, height = 8 } = options;
  const segment = (marker: number, data: number[]) => Buffer.from([0xff, marker, (data.length + 2) >> 8, (data.length + 2) & 0xff, ...data]);
  const huffmanTable = (tableClass: number) => [tableClass << 4, 1, ...Array(15).fill(0), 0];
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  // Two bits per block (DC category 0: "0", AC end-of-block: "0"), padded with ones.
  const scan = Buffer.alloc(Math.ceil((blocks * 2) / 8));
  const padding = scan.length * 8 - blocks * 2;
  if (padding > 0) scan[scan.length - 1] = (1 << padding) - 1;
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    segment(0xdb, [0, ...Array(64).fill(1)]),
    segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]),
    segment(0xc4, huffmanTable(0)),
    segment(0xc4, huffmanTable(1)),
    segment(0xda, [1, 1, 0x00, 0, 63, 0]),
    scan,
    Buffer.from([0xff, 0xd9]),
  ]);
}

/** A logo as a profile or an invoice's seller carries it. */
export function logoOf(image: Buffer, contentType = image[0] === 0x89 ? 'image/png' : 'image/jpeg'): { contentType: string; data: string } {
  return { contentType, data: image.toString('base64') };
}
