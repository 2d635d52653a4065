import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { servicesRequired } from './mode';

/** The text layer of a PDF as one extractor reads it. */
export interface PdfTextLayer {
  extractor: 'pdf.js' | 'pdftotext';
  text: string;
}

const PDF_JS_SCRIPT = join(__dirname, 'pdf-text.mjs');

/** Runs `command` with `input` on stdin; resolves with its stdout, rejects with its stderr. */
function pipeThrough(command: string, args: string[], input: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(stdout).toString('utf8'));
      else reject(new Error(`${command} exited with ${code}: ${Buffer.concat(stderr).toString('utf8').slice(0, 2000)}`));
    });
    child.stdin.on('error', () => undefined); // a child that exits early is reported by 'close'
    child.stdin.end(input);
  });
}

async function readWithPdfJs(pdf: Buffer): Promise<{ text: string; title: string | null }> {
  // pdf.js ships as ES modules only, which jest's CommonJS sandbox cannot import: it runs in a node process of its own.
  return JSON.parse(await pipeThrough(process.execPath, [PDF_JS_SCRIPT], pdf)) as { text: string; title: string | null };
}

/** The text layer of a PDF, as pdf.js extracts it (one line per text line). */
export async function pdfText(pdf: Buffer): Promise<string> {
  return (await readWithPdfJs(pdf)).text;
}

/** The PDF's Title, from its document information (null when it has none). */
export async function pdfTitle(pdf: Buffer): Promise<string | null> {
  return (await readWithPdfJs(pdf)).title;
}

let pdftotextPresent: boolean | undefined;

/** Whether poppler's pdftotext is on PATH. With REQUIRE_SERVICES=1 (CI) it must be: a missing one fails the test. */
export function hasPdftotext(): boolean {
  if (pdftotextPresent === undefined) pdftotextPresent = !spawnSync('pdftotext', ['-v'], { stdio: 'ignore' }).error;
  if (!pdftotextPresent && servicesRequired()) {
    throw new Error('pdftotext (poppler-utils) is not on PATH, and REQUIRE_SERVICES=1 requires it: the invoice PDFs are checked with two extractors');
  }
  return pdftotextPresent;
}

/**
 * The text layer as each available extractor reads it: pdf.js always,
 * poppler's pdftotext too when it is on PATH (required with
 * REQUIRE_SERVICES=1). Tests check each the same way, so that a PDF reads
 * right in more than one reader.
 */
export async function pdfTextLayers(pdf: Buffer): Promise<PdfTextLayer[]> {
  const layers: PdfTextLayer[] = [{ extractor: 'pdf.js', text: await pdfText(pdf) }];
  if (hasPdftotext()) layers.push({ extractor: 'pdftotext', text: await pipeThrough('pdftotext', ['-enc', 'UTF-8', '-', '-'], pdf) });
  return layers;
}

/**
 * Text as compared across extractors: runs of whitespace collapsed to one
 * space. pdftotext breaks wrapped lines and sets columns apart with blank
 * lines, where pdf.js joins a line's pieces as they come; both keep the
 * space between two words, in the Polish, German, Greek and Russian samples
 * too (checked with pdfjs-dist 5.6 and poppler's pdftotext 22), so the
 * spaces themselves are still compared.
 */
export function comparableText(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
