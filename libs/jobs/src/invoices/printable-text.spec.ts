import { invoiceFonts } from './invoice-fonts';
import { printableText, REPLACEMENT_CHARACTER } from './printable-text';

const { hasGlyph } = invoiceFonts();
const R = REPLACEMENT_CHARACTER;

describe(printableText.name, () => {
  it('has a glyph for U+FFFD itself, in both faces of the font', () => {
    expect(hasGlyph(0xfffd)).toBe(true);
  });

  it.each<[string, string, string]>([
    // Covered: kept exactly.
    ['ASCII', 'Annual plan, 3 × seats (20 %)', 'Annual plan, 3 × seats (20 %)'],
    ['Polish (Latin Extended-A)', 'Łukasz Żółć, ul. Świętokrzyska 5, Kraków', 'Łukasz Żółć, ul. Świętokrzyska 5, Kraków'],
    ['German', 'Kaffee für Zoë, Jürgen Groß', 'Kaffee für Zoë, Jürgen Groß'],
    ['Latin Extended-B', 'ǅ Ǆ ȘȚ șț', 'ǅ Ǆ ȘȚ șț'],
    ['Vietnamese (Latin Extended Additional)', 'Nguyễn Thị Ánh', 'Nguyễn Thị Ánh'],
    ['Greek', 'Κώστας Παπαδόπουλος, Οδός Ερμού 12, Αθήνα', 'Κώστας Παπαδόπουλος, Οδός Ερμού 12, Αθήνα'],
    ['Cyrillic', 'Иван Петров, ул. Тверская 7, Москва', 'Иван Петров, ул. Тверская 7, Москва'],
    ['Armenian', 'Երևան', 'Երևան'],
    ['Georgian', 'თბილისი', 'თბილისი'],
    ['currency symbols and punctuation (Common)', '€ £ ₽ ₴ — „quoted“ «guillemets» №', '€ £ ₽ ₴ — „quoted“ «guillemets» №'],
    ['a combining mark (Inherited), composed with its letter (NFC)', 'Zoe\u0308', 'Zo\u00eb'],
    ['a combining mark with no precomposed letter, kept', 'q\u0308', 'q\u0308'],
    ['a no-break space', 'EUR\u00a0100', 'EUR\u00a0100'],
    ['line breaks', 'Hauptstraße 1\n10115 Berlin', 'Hauptstraße 1\n10115 Berlin'],
    ['CR LF, as a line break', 'Hauptstraße 1\r\n10115 Berlin', 'Hauptstraße 1\n10115 Berlin'],
    ['an empty string', '', ''],
    // Not covered: one U+FFFD per user-perceived character.
    ['Han (CJK)', '漢字', `${R}${R}`],
    ['Japanese kana', 'カタカナ', `${R}${R}${R}${R}`],
    ['Korean', '한국어', `${R}${R}${R}`],
    ['CJK punctuation, which is Common but has no glyph', '漢字、', `${R}${R}${R}`],
    ['Hebrew, right to left', 'שלום', `${R}${R}${R}${R}`],
    ['Arabic, right to left', 'مرحبا', `${R}${R}${R}${R}${R}`],
    ['Hebrew with points: one replacement per letter', 'שָׁלוֹם', `${R}${R}${R}${R}`],
    ['Devanagari (needs shaping)', 'नमस्ते', `${R}${R}${R}`],
    ['Thai', 'ไทย', `${R}${R}${R}`],
    ['an emoji the font happens to draw', 'ok 😀', `ok ${R}`],
    ['an emoji the font lacks', 'ok 👍', `ok ${R}`],
    ['an emoji with a skin tone: one grapheme', '👍🏽', R],
    ['a family (ZWJ sequence): one grapheme', '👨‍👩‍👧', R],
    ['a flag (regional indicators): one grapheme', 'PL 🇵🇱', `PL ${R}`],
    ['a text symbol asked to show as emoji (U+FE0F)', '\u2764\ufe0f', R],
    ['the same symbol as text', '\u2764', '\u2764'],
    ['a tab', 'a\tb', `a${R}b`],
    ['a lone CR', 'a\rb', `a${R}b`],
    ['other C0 and C1 controls', 'a\u0007b\u0085c\u007fd', `a${R}b${R}c${R}d`],
    ['a right-to-left override', 'abc\u202edef', `abc${R}def`],
    ['a left-to-right mark', 'abc\u200edef', `abc${R}def`],
    ['an unassigned code point', 'a\u0378b', `a${R}b`],
    ['a private-use character', 'a\ue000b', `a${R}b`],
    ['mixed', 'Café 漢字 Москва', `Café ${R}${R} Москва`],
    ['U+FFFD as sent', `a${R}b`, `a${R}b`],
  ])('%s: %j -> %j', (_, text, printed) => {
    expect(printableText(text, hasGlyph)).toBe(printed);
  });

  it('replaces what the given font lacks, whatever its script', () => {
    const latinLettersOnly = (codePoint: number) => codePoint < 0x80 || codePoint === 0xfffd;
    expect(printableText('Zoë Иван', latinLettersOnly)).toBe(`Zo${R} ${R}${R}${R}${R}`);
    expect(printableText('plain ASCII', latinLettersOnly)).toBe('plain ASCII');
  });

  it('gives the same answer on its fast path as grapheme by grapheme', () => {
    // One character the slow path must handle makes the whole string take it.
    for (const text of ['Łukasz Żółć', 'Κώστας', 'Иван Петров', 'Zoe\u0308', 'a\nb', '€ №']) {
      expect(printableText(`${text}\t`, hasGlyph)).toBe(`${printableText(text, hasGlyph)}${R}`);
    }
  });
});
