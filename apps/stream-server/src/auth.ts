import type { FastifyRequest } from 'fastify';
import type { Access, ServerConfig } from './config.js';
import { apiKeyTable, hashKey } from './config.js';
import { ApiError } from './errors.js';

export interface Principal {
  tenant: string;
  access: Access;
}

/**
 * API keys → tenants. A request names its key in `Authorization: Bearer <key>` or `X-API-Key`;
 * keys are looked up by their SHA-256, so the lookup time says nothing about stored keys. The
 * tenant comes from the key only: no header, path or body can choose another one.
 */
export class Authenticator {
  readonly #table: Map<string, Principal>;

  constructor(config: ServerConfig) {
    this.#table = apiKeyTable(config);
  }

  get size(): number {
    return this.#table.size;
  }

  static keyOf(request: FastifyRequest): string | undefined {
    const header = request.headers['x-api-key'];
    if (typeof header === 'string' && header.length > 0) return header;
    const authorization = request.headers.authorization;
    if (typeof authorization === 'string') {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (match) return match[1];
    }
    return undefined;
  }

  /** The principal of a request. @throws ApiError 401 without a known key, 403 when the key may not `need`. */
  authenticate(request: FastifyRequest, need: Access): Principal {
    const key = Authenticator.keyOf(request);
    if (key === undefined) {
      throw new ApiError(
        401,
        'MISSING_API_KEY',
        'send an API key in the X-API-Key header or as Authorization: Bearer <key>',
      );
    }
    const principal = key.length <= 256 ? this.#table.get(hashKey(key)) : undefined;
    if (!principal) throw new ApiError(401, 'INVALID_API_KEY', 'unknown API key');
    if (need === 'write' && principal.access !== 'write') {
      throw new ApiError(403, 'READ_ONLY_KEY', 'this API key is read-only');
    }
    return principal;
  }
}
