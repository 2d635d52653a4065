// Reads a PDF on stdin and writes {"text", "title"} on stdout: the text layer
// as pdf.js extracts it, one line per text line, and the document's Title.
// A script of its own because pdf.js is published as ES modules only, which
// jest's CommonJS sandbox cannot import (test/support/pdf-text.ts runs it).
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const data = new Uint8Array(Buffer.concat(chunks));

// No font rendering is needed to read text: keep pdf.js from looking for
// system fonts or evaluating font programs.
const pdf = await getDocument({ data, useSystemFonts: false, disableFontFace: true, isEvalSupported: false, verbosity: 0 }).promise;
const lines = [];
for (let number = 1; number <= pdf.numPages; number++) {
  const page = await pdf.getPage(number);
  const content = await page.getTextContent();
  let line = '';
  for (const item of content.items) {
    if (!('str' in item)) continue;
    line += item.str;
    if (item.hasEOL) {
      lines.push(line);
      line = '';
    }
  }
  if (line) lines.push(line);
  page.cleanup();
}
const { info } = await pdf.getMetadata();
await pdf.destroy();
process.stdout.write(JSON.stringify({ text: lines.join('\n'), title: info?.Title ?? null }));
