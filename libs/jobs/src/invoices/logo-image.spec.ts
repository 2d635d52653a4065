import { crc32, deflateSync, inflateSync } from 'node:zlib';
import { jpegImage, pngImage } from '../../../../test/support/fixtures';
import { inspectLogoImage, MAX_LOGO_SIDE_PIXELS } from './logo-image';

/** The chunks of a PNG: [type, data], in order. */
function chunksOf(png: Buffer): Array<[string, Buffer]> {
  const chunks: Array<[string, Buffer]> = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    chunks.push([png.toString('latin1', at + 4, at + 8), png.subarray(at + 8, at + 8 + length)]);
    at += 12 + length;
  }
  return chunks;
}

/** A PNG from chunks, each with a correct checksum. */
function pngOf(chunks: Array<[string, Buffer]>): Buffer {
  return Buffer.concat([
    pngImage().subarray(0, 8),
    ...chunks.map(([type, data]) => {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(data.length);
      head.write(type, 4, 'latin1');
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
      return Buffer.concat([head, data, crc]);
    }),
  ]);
}

/** `png` with the data of its chunk `type` replaced (checksum recomputed). */
function patchChunk(png: Buffer, type: string, patch: (data: Buffer) => Buffer): Buffer {
  return pngOf(chunksOf(png).map(([name, data]) => [name, name === type ? patch(Buffer.from(data)) : data]));
}

const patchHeader = (png: Buffer, offset: number, value: number) =>
  patchChunk(png, 'IHDR', (data) => {
    data[offset] = value;
    return data;
  });

const patchPixels = (png: Buffer, patch: (raw: Buffer) => Buffer) => patchChunk(png, 'IDAT', (data) => deflateSync(patch(inflateSync(data))));

/** `jpeg` with its frame header (SOF0) patched at `offset` bytes after the marker. */
function patchFrame(jpeg: Buffer, offset: number, value: number): Buffer {
  const copy = Buffer.from(jpeg);
  copy[copy.indexOf(Buffer.from([0xff, 0xc0])) + offset] = value;
  return copy;
}

describe(inspectLogoImage.name, () => {
  it.each<[string, Buffer, { contentType: string; width: number; height: number }]>([
    ['an RGB PNG', pngImage(), { contentType: 'image/png', width: 12, height: 6 }],
    ['an RGBA PNG', pngImage({ colourType: 6, width: 300, height: 100 }), { contentType: 'image/png', width: 300, height: 100 }],
    ['a 16-bit RGBA PNG', pngImage({ colourType: 6, bitDepth: 16 }), { contentType: 'image/png', width: 12, height: 6 }],
    ['a 16-bit RGB PNG', pngImage({ colourType: 2, bitDepth: 16 }), { contentType: 'image/png', width: 12, height: 6 }],
    ['a 1-bit greyscale PNG of odd width', pngImage({ colourType: 0, bitDepth: 1, width: 13, height: 3 }), { contentType: 'image/png', width: 13, height: 3 }],
    ['a 4-bit greyscale PNG', pngImage({ colourType: 0, bitDepth: 4 }), { contentType: 'image/png', width: 12, height: 6 }],
    ['a greyscale and alpha PNG', pngImage({ colourType: 4 }), { contentType: 'image/png', width: 12, height: 6 }],
    ['a 2-bit palette PNG', pngImage({ colourType: 3, bitDepth: 2 }), { contentType: 'image/png', width: 12, height: 6 }],
    ['an 8-bit palette PNG with transparency', pngImage({ colourType: 3, bitDepth: 8, transparency: true }), { contentType: 'image/png', width: 12, height: 6 }],
    ['a PNG with ancillary chunks', pngImage({ chunks: [['tEXt', Buffer.from('Software\0test')], ['prVt', Buffer.alloc(100)]] }), { contentType: 'image/png', width: 12, height: 6 }],
    ['a PNG of the largest size', pngImage({ width: MAX_LOGO_SIDE_PIXELS, height: MAX_LOGO_SIDE_PIXELS, colourType: 0, bitDepth: 1 }), { contentType: 'image/png', width: 2000, height: 2000 }],
    ['a baseline JPEG', jpegImage({ width: 120, height: 40 }), { contentType: 'image/jpeg', width: 120, height: 40 }],
    ['a progressive JPEG', patchFrame(jpegImage(), 1, 0xc2), { contentType: 'image/jpeg', width: 16, height: 8 }],
    ['a JPEG of the largest size', jpegImage({ width: MAX_LOGO_SIDE_PIXELS, height: 8 }), { contentType: 'image/jpeg', width: 2000, height: 8 }],
  ])('accepts %s', (_, bytes, image) => {
    expect(inspectLogoImage(bytes)).toEqual({ ok: true, image });
  });

  const png = pngImage();
  const jpeg = jpegImage();
  const iend = png.subarray(png.length - 12);
  const withoutIend = png.subarray(0, png.length - 12);
  it.each<[string, Buffer, RegExp]>([
    ['no bytes', Buffer.alloc(0), /PNG or JPEG image/],
    ['a GIF', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), /PNG or JPEG image/],
    ['text', Buffer.from('not an image at all'), /PNG or JPEG image/],
    ['a PNG signature alone', png.subarray(0, 8), /damaged PNG/],
    ['a PNG cut in the middle', png.subarray(0, 40), /damaged PNG.*middle of a chunk/],
    ['a PNG without IEND', withoutIend, /damaged PNG.*no IEND/],
    ['a PNG whose chunk fails its checksum', Buffer.concat([withoutIend.subarray(0, 30), Buffer.from([withoutIend[30] ^ 1]), withoutIend.subarray(31), iend]), /checksum/],
    ['a PNG that does not start with IHDR', pngOf(chunksOf(png).slice(1)), /IHDR/],
    ['a PNG with two headers', pngOf([chunksOf(png)[0], ...chunksOf(png)]), /IHDR/],
    ['RGB with 4-bit samples', patchHeader(png, 8, 4), /does not exist/],
    ['colour type 5', patchHeader(png, 9, 5), /does not exist/],
    ['an unknown compression method', patchHeader(png, 10, 1), /compression/],
    ['an interlaced PNG', pngImage({ interlaced: true }), /interlaced/],
    ['a PNG of width 0', pngOf(chunksOf(pngImage({ width: 0 }))), /no size/],
    ['a PNG too wide', pngImage({ width: MAX_LOGO_SIDE_PIXELS + 1, height: 1, colourType: 0, bitDepth: 1 }), /at most 2000 × 2000 pixels; this PNG image is 2001 × 1/],
    ['a small PNG that declares a huge image', patchChunk(png, 'IHDR', (data) => (data.writeUInt32BE(60_000, 0), data)), /at most 2000 × 2000/],
    ['a palette PNG without a palette', pngOf(chunksOf(pngImage({ colourType: 3 })).filter(([type]) => type !== 'PLTE')), /PLTE/],
    ['a palette PNG with packed indices and transparency', pngImage({ colourType: 3, bitDepth: 4, transparency: true }), /8-bit palette indices/],
    ['a PNG without pixel data', pngOf(chunksOf(png).filter(([type]) => type !== 'IDAT')), /no IDAT/],
    ['pixel data that is not zlib', patchChunk(png, 'IDAT', () => Buffer.from('garbage, not deflate')), /does not decompress/],
    ['too few pixels', patchPixels(png, (raw) => raw.subarray(0, raw.length - 1)), /does not decompress to the size/],
    ['too many pixels', patchPixels(png, (raw) => Buffer.concat([raw, Buffer.alloc(1)])), /does not decompress to the size/],
    // The default image is 12 RGB pixels wide: rows of 1 + 36 bytes, row 3 starts at byte 111.
    ['an unknown filter type', patchPixels(png, (raw) => ((raw[111] = 5), raw)), /row 3 has an unknown filter type/],
    ['IDAT chunks apart', pngOf([...chunksOf(png).slice(0, -1), ['tIME', Buffer.alloc(7)], chunksOf(png)[1], iendChunk()]), /not consecutive/],
    ['an unknown critical chunk', pngImage({ chunks: [['ABCD', Buffer.alloc(4)]] }), /unknown chunk ABCD/],
    ['a text chunk over 16 KiB', pngImage({ chunks: [['tEXt', Buffer.alloc(16 * 1024 + 1, 0x41)]] }), /text chunk/],
    ['a JPEG SOI alone', jpeg.subarray(0, 2), /damaged JPEG/],
    ['a JPEG cut before its scan', jpeg.subarray(0, jpeg.indexOf(Buffer.from([0xff, 0xda]))), /damaged JPEG/],
    ['a lossless JPEG', patchFrame(jpeg, 1, 0xc3), /baseline or progressive/],
    ['an arithmetic-coded JPEG', patchFrame(jpeg, 1, 0xc9), /baseline or progressive/],
    ['a 12-bit JPEG', patchFrame(jpeg, 4, 12), /8-bit samples/],
    ['a JPEG of height 0', patchFrame(patchFrame(jpeg, 5, 0), 6, 0), /no size/],
    ['a JPEG too large', jpegImage({ width: MAX_LOGO_SIDE_PIXELS + 1, height: 8 }), /at most 2000 × 2000 pixels; this JPEG image is 2001 × 8/],
    ['a JPEG with two components', patchFrame(jpeg, 9, 2), /frame header is malformed/],
    ['a JPEG whose scan comes first', swapFrameAndScan(jpeg), /scan comes before/],
    ['a JPEG with fill bytes between segments', Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff]), jpeg.subarray(2)]), /unexpected marker/],
    ['a JPEG with an arithmetic conditioning segment first', Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xcc, 0, 4, 0, 0]), jpeg.subarray(2)]), /baseline or progressive/],
  ])('refuses %s', (_, bytes, problem) => {
    const inspection = inspectLogoImage(bytes);
    expect(inspection.ok).toBe(false);
    expect(inspection.ok ? '' : inspection.problem).toMatch(problem);
  });
});

function iendChunk(): [string, Buffer] {
  return ['IEND', Buffer.alloc(0)];
}

/** A JPEG whose scan header comes before its frame header. */
function swapFrameAndScan(jpeg: Buffer): Buffer {
  const frame = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  const frameEnd = frame + 2 + jpeg.readUInt16BE(frame + 2);
  const scan = jpeg.indexOf(Buffer.from([0xff, 0xda]));
  const scanEnd = scan + 2 + jpeg.readUInt16BE(scan + 2);
  return Buffer.concat([jpeg.subarray(0, frame), jpeg.subarray(scan, scanEnd), jpeg.subarray(frameEnd, scan), jpeg.subarray(frame, frameEnd), jpeg.subarray(scanEnd)]);
}
