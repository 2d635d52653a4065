/** What an invoice PDF prints in place of a character it cannot show. */
export const REPLACEMENT_CHARACTER = '\uFFFD';

// The scripts the invoice font (DejaVu Sans) covers and PDFKit can lay out:
// left to right, one glyph per character, no shaping. Common and Inherited
// hold digits, punctuation, symbols and combining marks shared by scripts.
const SCRIPTS = '\\p{Script=Latin}\\p{Script=Greek}\\p{Script=Cyrillic}\\p{Script=Armenian}\\p{Script=Georgian}\\p{Script=Common}\\p{Script=Inherited}';
const PRINTABLE_SCRIPT = new RegExp(`^[${SCRIPTS}]$`, 'u');
const ONLY_PRINTABLE_SCRIPTS = new RegExp(`^[\\n${SCRIPTS}]*$`, 'u');

// Never printed, whatever the font has: control characters (a line break is
// handled apart); direction controls, which a left-to-right-only layout
// cannot honour; and emoji, whose monochrome glyphs in the font (U+1F600 and
// more) are not what the sender meant, nor is a text symbol asked to show as
// emoji by U+FE0F.
const NEVER_PRINTED = /[\p{Cc}\p{Bidi_Control}\p{Emoji_Presentation}\u{FE0F}]/u;
const NEVER_PRINTED_BUT_LINE_BREAKS = /[\0-\x09\x0b-\x1f\x7f-\x9f\p{Bidi_Control}\p{Emoji_Presentation}\u{FE0F}]/u;

const GRAPHEMES = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * `text` as an invoice PDF can print it: each user-perceived character
 * (grapheme) is kept when every code point in it is of a covered script and
 * has a glyph (`hasGlyph`), and is otherwise replaced by one U+FFFD, a
 * visible mark rather than garbage in the page or its text layer. So are
 * CJK, emoji, and right-to-left scripts (Hebrew, Arabic), which would print
 * reversed. Line breaks stay line breaks (CR LF becomes LF). The text is
 * composed (NFC) first: the font has the precomposed letters of its
 * scripts, and positions no combining mark of its own (see
 * scripts/subset-invoice-fonts.sh), so `e` + U+0301 prints as `é`.
 */
export function printableText(text: string, hasGlyph: (codePoint: number) => boolean): string {
  const normalised = text.normalize('NFC').replace(/\r\n/g, '\n');
  // Nearly every text prints whole: checked code point by code point first,
  // as splitting into graphemes costs ten times more.
  if (ONLY_PRINTABLE_SCRIPTS.test(normalised) && !NEVER_PRINTED_BUT_LINE_BREAKS.test(normalised) && everyGlyph(normalised, hasGlyph)) {
    return normalised;
  }
  let printed = '';
  for (const { segment } of GRAPHEMES.segment(normalised)) {
    printed += segment === '\n' || isPrintable(segment, hasGlyph) ? segment : REPLACEMENT_CHARACTER;
  }
  return printed;
}

function everyGlyph(text: string, hasGlyph: (codePoint: number) => boolean): boolean {
  for (const character of text) {
    if (character !== '\n' && !hasGlyph(character.codePointAt(0)!)) return false;
  }
  return true;
}

function isPrintable(grapheme: string, hasGlyph: (codePoint: number) => boolean): boolean {
  if (NEVER_PRINTED.test(grapheme)) return false;
  for (const character of grapheme) {
    if (!PRINTABLE_SCRIPT.test(character) || !hasGlyph(character.codePointAt(0)!)) return false;
  }
  return true;
}
