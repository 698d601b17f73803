/**
 * resvg draws text only with fonts it was given, and a container often has none it can
 * find by itself quickly. So the chart names one font family, and the file comes from the
 * first of these that the machine has (Debian's fonts-dejavu-core, fonts-liberation,
 * fonts-noto-core); only without any of them does resvg scan the system fonts, slower.
 */
import { existsSync } from 'node:fs';

export interface ChartFont {
  family: string;
  files: string[];
}

const CANDIDATES: readonly ChartFont[] = [
  { family: 'DejaVu Sans', files: ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'] },
  { family: 'Liberation Sans', files: ['/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf'] },
  { family: 'Noto Sans', files: ['/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf'] },
];

let chosen: ChartFont | null | undefined;

/** The font to draw with, or null to let resvg find a sans-serif among the system fonts. */
export function chartFont(): ChartFont | null {
  if (chosen === undefined) chosen = CANDIDATES.find((c) => c.files.every((f) => existsSync(f))) ?? null;
  return chosen;
}

const NARROW = new Set([..." .,:;!|'ijlI()[]/-`"]);
const WIDE = new Set([...'mwMW=@%~+<>']);

/**
 * About how wide `text` is in DejaVu Sans (the widest of the candidates, so the others
 * only get more room): without a canvas ECharts guesses widths too narrow for it, and its
 * legend entries overlap. Ems per character class, from the font's advance widths.
 */
export function textWidth(text: string, fontSizePx: number): number {
  let ems = 0;
  for (const ch of text) {
    if (NARROW.has(ch)) ems += 0.34;
    else if (WIDE.has(ch)) ems += 0.86;
    else if (ch >= 'A' && ch <= 'Z') ems += 0.7;
    else ems += 0.62;
  }
  return ems * fontSizePx;
}
