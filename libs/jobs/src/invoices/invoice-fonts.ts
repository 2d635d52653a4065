import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fontkit from 'fontkit';

/** The invoice typeface, DejaVu Sans (fonts/LICENSE), regular and bold. */
export interface InvoiceFonts {
  /** The font files' bytes, which each PDF registers. */
  regular: Buffer;
  bold: Buffer;
  /** True when both faces have a glyph for the code point, so that it prints alike in either weight. */
  hasGlyph(codePoint: number): boolean;
}

// Beside this file in the sources (ts-jest) and in dist/, where the build copies them.
const FONT_DIRECTORY = join(__dirname, 'fonts');

let loaded: InvoiceFonts | undefined;

/**
 * Read once per process. PDFKit is handed the bytes, and parses a face of
 * its own for each document: a parsed face shared between documents would
 * save most of a render's time, but fontkit keeps each glyph with the
 * characters it was first looked up for, and its subsetter looks up the
 * parts of composite glyphs with none, so a later document's text layer
 * loses such glyphs (a Cyrillic П after a Greek invoice). The faces parsed
 * here only answer which characters have a glyph.
 */
export function invoiceFonts(): InvoiceFonts {
  if (loaded) return loaded;
  const [regular, bold] = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((file) => readFileSync(join(FONT_DIRECTORY, file)));
  const faces = [regular, bold].map((bytes) => fontkit.create(bytes) as fontkit.Font);
  const hasGlyph = (codePoint: number): boolean => faces.every((face) => face.hasGlyphForCodePoint(codePoint));
  loaded = { regular, bold, hasGlyph };
  return loaded;
}
