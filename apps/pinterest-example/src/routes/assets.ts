import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { avatarSvg, pinSvg } from '../images.js';
import { notFound, parseId } from '../validation.js';
import type { RouteContext } from './context.js';

const STATIC_DIR = joinPath(dirname(fileURLToPath(import.meta.url)), '..', '..', 'static');

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

function loadStatic(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const types: Record<string, string> = {
    'app.css': 'text/css; charset=utf-8',
    'app.js': 'text/javascript; charset=utf-8',
    'favicon.svg': 'image/svg+xml',
  };
  for (const [name, type] of Object.entries(types)) {
    const body = readFileSync(joinPath(STATIC_DIR, name));
    files.set(name, {
      body,
      type,
      etag: `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"`,
    });
  }
  return files;
}

/** Static files, generated images and the health check: no user lookup (`asset`). */
export function registerAssetRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, runtime } = ctx;
  const staticFiles = loadStatic();

  app.get('/static/:file', { config: { asset: true } }, async (request, reply) => {
    const { file } = request.params as { file: string };
    const asset = staticFiles.get(file);
    if (!asset) throw notFound(`There is no static file called ${JSON.stringify(file)}.`);
    reply.header('etag', asset.etag).header('cache-control', 'no-cache');
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  });

  const svgName = (raw: string, what: string) => {
    if (!raw.endsWith('.svg'))
      throw notFound(`Images are served as .svg, got ${JSON.stringify(raw.slice(0, 40))}.`);
    return parseId(raw.slice(0, -4), what);
  };

  app.get('/img/pins/:file', { config: { asset: true } }, async (request, reply) => {
    const id = svgName((request.params as { file: string }).file, 'pin id');
    const pin = await store.getPin(id);
    if (!pin) throw notFound(`There is no pin with id ${id}.`);
    return reply
      .type('image/svg+xml')
      .header('cache-control', 'public, max-age=3600')
      .send(pinSvg(pin));
  });

  app.get('/img/avatars/:file', { config: { asset: true } }, async (request, reply) => {
    const id = svgName((request.params as { file: string }).file, 'user id');
    const user = await store.getUser(id);
    if (!user) throw notFound(`There is nobody with user id ${id}.`);
    return reply
      .type('image/svg+xml')
      .header('cache-control', 'public, max-age=3600')
      .send(avatarSvg(user));
  });

  app.get('/healthz', { config: { asset: true } }, async () => ({
    ok: true,
    storage: runtime.mode,
  }));
}
