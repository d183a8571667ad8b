import { PNG } from 'pngjs';
import { SEVERITIES, type Severity } from '../../domain/findings.js';
import type { TBySeverity, TCount } from '../../domain/reports/stats.js';

/**
 * Report charts as PNG, drawn in pure JavaScript (no canvas, no native build): bars and numbers only; the labels
 * sit in the HTML legend beside each chart so they follow the report's language. Opaque white background, so
 * dark-mode mail clients do not turn the bars into ghosts. Drawn at 2× for high-density screens.
 */

type Rgb = readonly [number, number, number];

export const SEVERITY_COLORS: Record<Severity, Rgb> = {
  critical: [176, 0, 32],
  high: [234, 88, 12],
  medium: [217, 170, 0],
  low: [59, 130, 246],
};
export const CURRENT_COLOR: Rgb = [37, 99, 235];
export const PREVIOUS_COLOR: Rgb = [180, 188, 200];
const AXIS: Rgb = [120, 128, 140];
const INK: Rgb = [31, 41, 55];

export const hex = (c: Rgb) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;

/** 3×5 digits, one string per row; enough for the numbers on the bars. */
const GLYPHS: Record<string, string[]> = {
  '0': ['111', '101', '101', '101', '111'],
  '1': ['010', '110', '010', '010', '111'],
  '2': ['111', '001', '111', '100', '111'],
  '3': ['111', '001', '111', '001', '111'],
  '4': ['101', '101', '111', '001', '001'],
  '5': ['111', '100', '111', '001', '111'],
  '6': ['111', '100', '111', '101', '111'],
  '7': ['111', '001', '010', '010', '010'],
  '8': ['111', '101', '111', '101', '111'],
  '9': ['111', '101', '111', '001', '111'],
};

class Raster {
  readonly png: PNG;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
    this.png.data = Buffer.alloc(width * height * 3, 255);
  }

  fill(x: number, y: number, w: number, h: number, [r, g, b]: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const i = (yy * this.width + xx) * 3;
        this.png.data[i] = r;
        this.png.data[i + 1] = g;
        this.png.data[i + 2] = b;
      }
    }
  }

  /** Digits with their top-left corner at (x, y); `cell` is the size of one font pixel. */
  number(value: number, x: number, y: number, cell: number, color: Rgb): void {
    let cx = x;
    for (const ch of String(value)) {
      const glyph = GLYPHS[ch];
      if (!glyph) continue;
      glyph.forEach((row, gy) => {
        [...row].forEach((bit, gx) => {
          if (bit === '1') this.fill(cx + gx * cell, y + gy * cell, cell, cell, color);
        });
      });
      cx += 4 * cell;
    }
  }

  static numberWidth(value: number, cell: number): number {
    return String(value).length * 4 * cell - cell;
  }

  encode(): Buffer {
    // Flat colours: the "up" row filter turns repeated rows into zeros, so the file stays small and encodes fast.
    return PNG.sync.write(this.png, {
      colorType: 2,
      inputColorType: 2,
      inputHasAlpha: false,
      filterType: 2,
      deflateLevel: 6,
    });
  }
}

const SCALE = 2;
export const CHART_WIDTH = 560;
export const CHART_HEIGHT = 200;

/** Horizontal bars, one per severity, longest = the largest count. */
export function severityBreakdownChart(counts: TBySeverity<number>): Buffer {
  const w = CHART_WIDTH * SCALE;
  const h = CHART_HEIGHT * SCALE;
  const r = new Raster(w, h);
  const cell = 4;
  const max = Math.max(1, ...SEVERITIES.map((s) => counts[s]));
  const left = 24 * SCALE;
  const barArea = w - left - 90 * SCALE;
  const rowH = (h - 16 * SCALE) / SEVERITIES.length;
  r.fill(left - 2 * SCALE, 8 * SCALE, 2 * SCALE, h - 16 * SCALE, AXIS);
  SEVERITIES.forEach((s, i) => {
    const y = 8 * SCALE + i * rowH + rowH * 0.2;
    const barH = rowH * 0.6;
    const len = counts[s] === 0 ? 0 : Math.max(3 * SCALE, (counts[s] / max) * barArea);
    r.fill(left, y, len, barH, SEVERITY_COLORS[s]);
    r.number(counts[s], left + len + 8 * SCALE, y + (barH - 5 * cell) / 2, cell, INK);
  });
  return r.encode();
}

/** Grouped vertical bars: for each selected item, the previous period (grey) beside the current one (blue). */
export function trendChart(series: { key: string; count: TCount }[]): Buffer {
  const w = CHART_WIDTH * SCALE;
  const h = CHART_HEIGHT * SCALE;
  const r = new Raster(w, h);
  const cell = 3;
  const top = 22 * SCALE;
  const bottom = h - 10 * SCALE;
  const max = Math.max(1, ...series.flatMap((s) => [s.count.current, s.count.previous]));
  r.fill(8 * SCALE, bottom, w - 16 * SCALE, 2 * SCALE, AXIS);
  const groupW = (w - 16 * SCALE) / Math.max(1, series.length);
  series.forEach((s, i) => {
    const barW = Math.min(groupW * 0.32, 60 * SCALE);
    const x0 = 8 * SCALE + i * groupW + (groupW - 2 * barW - 4 * SCALE) / 2;
    const bars: [number, Rgb][] = [
      [s.count.previous, PREVIOUS_COLOR],
      [s.count.current, CURRENT_COLOR],
    ];
    bars.forEach(([value, color], j) => {
      const x = x0 + j * (barW + 4 * SCALE);
      const barH = value === 0 ? 0 : Math.max(2 * SCALE, (value / max) * (bottom - top));
      r.fill(x, bottom - barH, barW, barH, color);
      const nw = Raster.numberWidth(value, cell);
      r.number(value, x + (barW - nw) / 2, bottom - barH - 5 * cell - 4 * SCALE, cell, INK);
    });
  });
  return r.encode();
}
