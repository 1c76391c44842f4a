import { StorageUnavailableError } from '@sf/activity';
import { describe, expect, it } from 'vitest';
import { PostgresStore } from './postgres-store.js';

/** Without a server: what the store says when PostgreSQL is not there (the contract suite runs in test/integration). */
describe('PostgresStore without a server', () => {
  it('fails to open with a StorageUnavailableError (the pages answer 503 for it)', async () => {
    const opening = PostgresStore.open({
      connectionString: 'postgres://postgres@127.0.0.1:1/test',
      schema: 'pinterest',
    });
    await expect(opening).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(opening).rejects.toMatchObject({
      code: 'SF_STORAGE_UNAVAILABLE',
      // @sf/storage-postgres's PostgresUnavailableError (runLockedDdl), naming what was being done.
      message: expect.stringMatching(
        /^PostgreSQL is unavailable \(creating schema pinterest\): .*ECONNREFUSED/,
      ),
    });
  });

  it('refuses a schema it could not quote safely, before connecting', async () => {
    await expect(
      PostgresStore.open({ connectionString: 'postgres://127.0.0.1:1/x', schema: 'a-b' }),
    ).rejects.toMatchObject({ name: 'ConfigError', path: 'SF_POSTGRES_SCHEMA', value: 'a-b' });
  });
});
