import { InvalidArgumentError, SfError, StorageError, StorageUnavailableError } from '@sf/activity';
import { StorageLockError } from '@sf/feeds';
import { describe, expect, it } from 'vitest';
import { RpcClient, StreamClient, StreamServerError } from './client.js';
import { ConfigError, apiKeyTable, applyEnvironment, loadConfig, parseConfig } from './config.js';
import { ApiError, PublishIncompleteError, toErrorBody } from './errors.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

describe('configuration errors', () => {
  it('are InvalidArgumentErrors with a stable code, the option path and the value', () => {
    const error = thrown(() =>
      parseConfig({ feeds: [{ name: 'x', type: 'round', keyFormat: 'x:{userId}' }] }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({
      name: 'ConfigError',
      code: 'SF_STREAM_SERVER_CONFIG',
      path: 'feeds[0].type',
      value: 'round',
    });
    expect(thrown(() => parseConfig({ limits: { rpcBatch: 0 } }))).toMatchObject({
      path: 'limits.rpcBatch',
      value: 0,
    });
    expect(thrown(() => applyEnvironment(parseConfig({}), { PORT: 'http' }))).toMatchObject({
      code: 'SF_STREAM_SERVER_CONFIG',
      path: 'PORT',
      value: 'http',
    });
    expect(thrown(() => loadConfig('/nonexistent/stream-server.json', {}))).toMatchObject({
      path: 'configFile',
      value: '/nonexistent/stream-server.json',
    });
  });

  it('never carry an API key as their value', () => {
    const short = thrown(() =>
      parseConfig({ tenants: [{ id: 'a', apiKeys: [{ key: 'secret', access: 'read' }] }] }),
    );
    expect(short).toMatchObject({ path: 'tenants[0].apiKeys[0].key', value: undefined });
    const twice = parseConfig({
      tenants: [
        { id: 'a', apiKeys: [{ key: 'same-key-123', access: 'read' }] },
        { id: 'b', apiKeys: [{ key: 'same-key-123', access: 'read' }] },
      ],
    });
    expect(thrown(() => apiKeyTable(twice))).toMatchObject({ path: 'tenants', value: ['a', 'b'] });
    expect(
      thrown(() => applyEnvironment(parseConfig({}), { STREAM_SERVER_API_KEYS: 'a:key-1234567' })),
    ).toMatchObject({ path: 'STREAM_SERVER_API_KEYS', value: undefined });
  });
});

describe('API errors', () => {
  it('are SfErrors whose code is the code of the response body', () => {
    const error = new ApiError(404, 'NO_FEEDS', 'no feeds');
    expect(error).toBeInstanceOf(SfError);
    expect(error).toMatchObject({ name: 'ApiError', code: 'NO_FEEDS', statusCode: 404 });
    expect(new PublishIncompleteError('1', {}, new Error('down'))).toMatchObject({
      name: 'PublishIncompleteError',
      code: 'PUBLISH_INCOMPLETE',
      statusCode: 503,
    });
  });

  it('answer storage failures by their generic class, whatever the backend', () => {
    // PostgreSQL's lock and statement errors are StorageLockError and StorageError subclasses.
    expect(toErrorBody(new StorageLockError('feed:1', 'feed:1 stayed locked'))).toMatchObject({
      statusCode: 503,
      code: 'FEED_LOCKED',
      message: 'feed:1 stayed locked',
    });
    expect(toErrorBody(new StorageError('PostgreSQL failed on sf.activities'))).toMatchObject({
      statusCode: 500,
      code: 'STORAGE_ERROR',
      message: 'PostgreSQL failed on sf.activities',
    });
    expect(toErrorBody(new StorageUnavailableError('down'))).toMatchObject({
      statusCode: 503,
      code: 'SF_STORAGE_UNAVAILABLE',
    });
  });
});

describe('client errors', () => {
  const answering =
    (status: number, body: unknown): typeof fetch =>
    async () =>
      new Response(JSON.stringify(body), { status });

  it('carry the REST code', async () => {
    const client = new StreamClient({
      baseUrl: 'http://server',
      apiKey: 'k',
      fetch: answering(403, { code: 'READ_ONLY_KEY', message: 'this API key is read-only' }),
    });
    await expect(client.insert({})).rejects.toMatchObject({
      status: 403,
      code: 'READ_ONLY_KEY',
      restCode: 'READ_ONLY_KEY',
    });
  });

  it('carry the JSON-RPC code, and a string restCode', async () => {
    const rpc = (error: unknown) =>
      new RpcClient({
        baseUrl: 'http://server',
        apiKey: 'k',
        fetch: answering(200, { jsonrpc: '2.0', id: 1, error }),
      });
    const withData = rpc({ code: -32603, message: 'x', data: { code: 'CORRUPT_STORAGE' } });
    await expect(withData.call('items')).rejects.toMatchObject({
      code: -32603,
      restCode: 'CORRUPT_STORAGE',
    });
    const bare = rpc({ code: -32601, message: 'method "x" not found' });
    const error = await bare.call('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamServerError);
    expect(error).toMatchObject({ code: -32601, restCode: 'METHOD_NOT_FOUND' });
  });
});
