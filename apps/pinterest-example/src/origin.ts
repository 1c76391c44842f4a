import type { IncomingHttpHeaders } from 'node:http';
import { ConfigError } from './runtime.js';

/**
 * The CSRF rule for state-changing requests (every method but GET, HEAD and OPTIONS): the request must
 * say where it comes from, in its Origin header or else its Referer, and that origin (scheme,
 * host and port) must be the app's own: one of the configured public origins
 * (SF_PUBLIC_ORIGIN) or, when none is configured, the origin the request was served on.
 * Browsers send Origin with every POST, so the app's own forms and scripts always pass; a request
 * with neither header is refused, as the app has no CSRF token to prove it came from its pages.
 */

/** The origin of a URL (`https://example.com:8443`), or undefined when it is not an http(s) URL. */
function originOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** SF_PUBLIC_ORIGIN: comma-separated origins the app is reached at (behind a proxy or TLS). */
export function originsFromEnv(
  env: Record<string, string | undefined> = process.env,
): string[] | undefined {
  const raw = env.SF_PUBLIC_ORIGIN;
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw.split(',').map((part) => {
    const value = part.trim();
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (
      !url ||
      (url.protocol !== 'http:' && url.protocol !== 'https:') ||
      url.pathname !== '/' ||
      url.search !== '' ||
      url.hash !== '' ||
      url.username !== ''
    )
      throw new ConfigError(
        `SF_PUBLIC_ORIGIN must be origins like https://pins.example.com (scheme, host and port only), got ${JSON.stringify(value)}`,
        { path: 'SF_PUBLIC_ORIGIN', value },
      );
    return url.origin;
  });
}

export interface OriginCheckRequest {
  method: string;
  headers: IncomingHttpHeaders;
  /** `http` or `https`, as the request was served. */
  protocol: string;
  /** The Host header (with its port). */
  host: string;
}

/** Why a request is refused as cross-site, or undefined when it may go on. */
export function crossSiteRefusal(
  request: OriginCheckRequest,
  allowed: readonly string[] | undefined,
): string | undefined {
  if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS')
    return undefined;
  const { origin, referer } = request.headers;
  const source = origin ?? referer;
  if (source === undefined || source === '')
    return 'Form posts must come from Pinstream’s own pages: this request has neither an Origin nor a Referer header.';
  const from = originOf(source);
  const expected = allowed ?? [originOf(`${request.protocol}://${request.host}`) ?? ''];
  if (from !== undefined && expected.includes(from)) return undefined;
  return `Cross-site form posts are refused. This request came from ${
    from ?? JSON.stringify(source.slice(0, 60))
  }, not from ${expected.join(' or ') || 'this app'}.`;
}
