import { describe, expect, it } from 'vitest';
import { InvalidFormatError } from '@sf/serializers';
import { cassandraStorage } from './index.js';

// Creating a backend connects lazily: no server is needed to check options.
describe('cassandraStorage format option', () => {
  it('takes the format names and refuses anything else at creation (issue 12 item 19)', async () => {
    const storage = cassandraStorage({ format: 'stream-framework' });
    expect(storage.format.name).toBe('stream-framework');
    await storage.close();
    expect(() => cassandraStorage({ format: { name: 'half' } as never })).toThrow(InvalidFormatError);
    expect(() => cassandraStorage({ format: 'pickle' as never })).toThrow(/^cassandraStorage\.format must be/);
  });
});
