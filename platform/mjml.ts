import type mjml2html from 'mjml';

type Mjml2Html = typeof mjml2html;

let loading: Promise<Mjml2Html> | undefined;

/**
 * MJML → HTML, with the compiler loaded on the first call: mjml brings juice, cheerio, js-beautify, postcss and
 * lodash (~55 MB of RSS, ~15 MB of heap in a fresh process), which a process that renders no mail never needs —
 * `npm start` and the API start without it, and the worker loads it for its first notification or report.
 */
export async function renderMjml(...args: Parameters<Mjml2Html>): ReturnType<Mjml2Html> {
  loading ??= import('mjml').then((m) => m.default);
  const mjml = await loading;
  return mjml(...args);
}
