import { escapeHtml } from './html.js';
import type { Pattern, Pin, User } from './store.js';

/** Pin tiles and avatars, drawn as SVG on the server: no network, no files. */

export const PIN_WIDTH = 236;

/** A deterministic 32-bit hash (FNV-1a) for picking shapes from a pin's id and title. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Tile height: varied, so the grid looks like a pinboard. */
export function pinHeight(pin: Pick<Pin, 'id' | 'title'>): number {
  return [200, 248, 296, 344, 392][hash(`${pin.id}:${pin.title}`) % 5]!;
}

const hsl = (h: number, s: number, l: number) => `hsl(${((h % 360) + 360) % 360} ${s}% ${l}%)`;

function pattern(kind: Pattern, hue: number, width: number, height: number, seed: number): string {
  const accent = hsl(hue + 35, 70, 58);
  const deep = hsl(hue - 25, 55, 38);
  const light = hsl(hue + 10, 80, 86);
  const parts: string[] = [];
  switch (kind) {
    case 'stripes':
      for (let x = -height; x < width; x += 28) {
        parts.push(
          `<path d="M${x} ${height} L${x + height} 0" stroke="${(x / 28) % 2 ? accent : light}" stroke-width="12"/>`,
        );
      }
      break;
    case 'dots':
      for (let y = 18; y < height; y += 34) {
        for (let x = 18 + ((y / 34) % 2) * 17; x < width; x += 34) {
          parts.push(
            `<circle cx="${x}" cy="${y}" r="${6 + ((x + y + seed) % 7)}" fill="${(x + y) % 3 ? accent : light}"/>`,
          );
        }
      }
      break;
    case 'waves':
      for (let y = 20, i = 0; y < height + 40; y += 26, i++) {
        const a = 10 + (seed % 9);
        parts.push(
          `<path d="M0 ${y} Q ${width / 4} ${y - a} ${width / 2} ${y} T ${width} ${y}" fill="none" stroke="${i % 2 ? accent : deep}" stroke-width="7" stroke-linecap="round"/>`,
        );
      }
      break;
    case 'blocks':
      for (let y = 0; y < height; y += 48) {
        for (let x = 0; x < width; x += 59) {
          const pick = hash(`${x},${y},${seed}`) % 4;
          if (pick === 0) continue;
          parts.push(
            `<rect x="${x + 4}" y="${y + 4}" width="51" height="40" rx="6" fill="${[light, accent, deep][pick - 1]}"/>`,
          );
        }
      }
      break;
    case 'rings': {
      const cx = width * (0.3 + (seed % 40) / 100);
      const cy = height * 0.4;
      for (let r = 14, i = 0; r < Math.max(width, height); r += 22, i++) {
        parts.push(
          `<circle cx="${cx}" cy="${cy}" r="${r}" fill="none" stroke="${i % 2 ? accent : light}" stroke-width="9"/>`,
        );
      }
      break;
    }
    case 'peaks':
      for (let layer = 0; layer < 4; layer++) {
        const base = height * (0.45 + layer * 0.15);
        let d = `M0 ${height} L0 ${base}`;
        for (let x = 0; x <= width; x += 40) {
          const up = ((x * (layer + 3) + seed) % 60) + 10;
          d += ` L${x + 20} ${base - up} L${x + 40} ${base}`;
        }
        d += ` L${width} ${height} Z`;
        parts.push(
          `<path d="${d}" fill="${[light, accent, hsl(hue - 10, 50, 50), deep][layer]}"/>`,
        );
      }
      break;
  }
  return parts.join('');
}

/** Splits a title into at most `lines` lines of about `width` characters. */
export function wrap(text: string, width: number, lines: number): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const result: string[] = [];
  let line = '';
  for (const word of words) {
    const candidate = line ? `${line} ${word}` : word;
    if ([...candidate].length <= width || !line) {
      line =
        [...candidate].length > width
          ? [...candidate].slice(0, width - 1).join('') + '…'
          : candidate;
    } else {
      result.push(line);
      line = word;
    }
    if (result.length === lines) break;
  }
  if (result.length < lines && line) result.push(line);
  if (result.length === lines && words.join(' ').length > result.join(' ').length) {
    const last = result[lines - 1]!;
    if (!last.endsWith('…')) result[lines - 1] = `${[...last].slice(0, width - 1).join('')}…`;
  }
  return result;
}

/** A pin's picture: a patterned tile in the pin's colour with its title. */
export function pinSvg(pin: Pin): string {
  const width = PIN_WIDTH;
  const height = pinHeight(pin);
  const seed = hash(`${pin.id}`);
  const lines = wrap(pin.title, 20, 2);
  const band = 22 + lines.length * 22;
  const text = lines
    .map((line, i) => `<text x="16" y="${height - band + 30 + i * 22}">${escapeHtml(line)}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(pin.title)}">
<rect width="${width}" height="${height}" fill="${hsl(pin.hue, 62, 72)}"/>
${pattern(pin.pattern, pin.hue, width, height, seed)}
<rect y="${height - band}" width="${width}" height="${band}" fill="rgb(0 0 0 / 0.42)"/>
<g font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="17" font-weight="700" fill="#fff">${text}</g>
</svg>`;
}

/** Initials of a name ("Ada Lovelace" → "AL"). */
export function initials(name: string): string {
  const parts = name.split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0]!, parts[parts.length - 1]!] : parts;
  return letters.map((part) => [...part][0]!.toUpperCase()).join('') || '?';
}

/** A round avatar with initials. */
export function avatarSvg(user: User): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96" role="img" aria-label="${escapeHtml(user.name)}">
<circle cx="48" cy="48" r="48" fill="${hsl(user.hue, 55, 52)}"/>
<circle cx="48" cy="48" r="40" fill="none" stroke="${hsl(user.hue + 30, 70, 75)}" stroke-width="3"/>
<text x="48" y="59" text-anchor="middle" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="32" font-weight="700" fill="#fff">${escapeHtml(initials(user.name))}</text>
</svg>`;
}
