#!/usr/bin/env bash
# Makes the invoice worker's fonts (libs/jobs/src/invoices/fonts) from
# DejaVu Sans 2.37 as Debian's fonts-dejavu-core ships it, with fonttools'
# pyftsubset (Debian's package `fonttools`). Run it only to change what the
# fonts cover; the result is committed, so neither a build nor a new user
# needs fonttools.
#
# Why a subset: PDFKit parses the font anew for every document it renders
# (a parsed face cannot be shared between documents: fontkit keeps each
# glyph with the characters it was first looked up for, and a later
# document's text layer would lose some). Whole DejaVu Sans, 6,253 glyphs
# with OpenType layout for dozens of scripts, took about 17 ms per face and
# document; this subset, with kerning as its only layout feature, about 3.
#
# What it keeps: Latin (with Extended-A/B/Additional/C/D, IPA and spacing
# modifiers), Greek (with Extended), Cyrillic (with Supplement and
# Extended-A/B/C), Armenian, Georgian (with Supplement and Mtavruli),
# combining marks, general punctuation, super- and subscripts, currency
# signs, letterlike symbols, number forms, arrows, a few mathematical
# operators, geometric shapes, miscellaneous symbols and dingbats, and
# U+FFFD, which the PDF prints for anything else. Combining marks are not
# positioned by OpenType (no mark/mkmk): the renderer composes text to NFC
# first, and DejaVu has the precomposed letters of the scripts it covers.
set -euo pipefail

SOURCE=${DEJAVU_DIR:-/usr/share/fonts/truetype/dejavu}
TARGET="$(dirname "$0")/../libs/jobs/src/invoices/fonts"
UNICODES=$(tr -d ' \n' <<'RANGES'
U+0000-036F, U+0370-03FF, U+0400-052F, U+0530-058F, U+10A0-10FF,
U+1C80-1C8F, U+1C90-1CBF, U+1E00-1EFF, U+1F00-1FFF, U+2000-206F,
U+2070-209F, U+20A0-20CF, U+2100-214F, U+2150-218F, U+2190-21FF,
U+2212, U+2215, U+2219, U+221E, U+2248, U+2260, U+2264, U+2265,
U+25A0-25FF, U+2600-27BF, U+2C60-2C7F, U+2D00-2D2F, U+2DE0-2DFF, U+A640-A69F,
U+A720-A7FF, U+FB00-FB06, U+FFFD
RANGES
)

for face in DejaVuSans DejaVuSans-Bold; do
  pyftsubset "$SOURCE/$face.ttf" \
    --unicodes="$UNICODES" \
    --layout-features=kern \
    --drop-tables+=MATH \
    --name-IDs='*' --name-languages='*' --glyph-names --notdef-outline \
    --output-file="$TARGET/$face.ttf"
done
