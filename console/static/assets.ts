import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { CONSOLE_CSS } from './console-css.js';
import { CONSOLE_JS } from './console-js.js';

export interface StaticAsset {
  /** The URL path, with a content hash so that it can be cached for good. */
  path: string;
  type: string;
  body: Buffer;
  gzip: Buffer;
}

function asset(name: string, ext: string, type: string, text: string | Buffer): StaticAsset {
  const body = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { path: `/console/static/${name}.${hash}.${ext}`, type, body, gzip: gzipSync(body, { level: 9 }) };
}

const require = createRequire(import.meta.url);

/** Everything the browser loads, served by Vigil itself (no CDN): htmx from node_modules, our CSS and script. */
export const STATIC_ASSETS = {
  css: asset('console', 'css', 'text/css; charset=utf-8', CONSOLE_CSS),
  js: asset('console', 'js', 'text/javascript; charset=utf-8', CONSOLE_JS),
  htmx: asset(
    'htmx',
    'js',
    'text/javascript; charset=utf-8',
    readFileSync(require.resolve('htmx.org/dist/htmx.min.js')),
  ),
};

export const STATIC_BY_PATH = new Map(Object.values(STATIC_ASSETS).map((a) => [a.path, a]));
