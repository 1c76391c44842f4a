import type { CassandraStorage } from '@sf/storage-cassandra';

/**
 * Every row of a keyspace whose key starts with `prefix` (feed rows, markers, locks, activity
 * clocks of one server), table by table, as text: for before/after comparisons. The run's
 * keyspace holds a few hundred rows, so reading whole tables is cheap.
 */
export async function cassandraContents(
  storage: CassandraStorage,
  prefix: string,
): Promise<Record<string, string[]>> {
  const client = storage.client;
  await storage.connect();
  const tables = await client.execute(
    'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?',
    [storage.keyspace],
  );
  const contents: Record<string, string[]> = {};
  for (const { table_name: table } of tables.rows) {
    const rows: string[] = [];
    const result = await client.execute(
      `SELECT * FROM "${storage.keyspace}"."${String(table)}"`,
      [],
      { fetchSize: 5000, readTimeout: 30_000 },
    );
    for (const row of result.rows) {
      const values = Object.values(row);
      if (!values.some((value) => typeof value === 'string' && value.startsWith(prefix))) continue;
      rows.push(
        JSON.stringify(row, (_key, value: unknown) =>
          typeof value === 'bigint'
            ? value.toString()
            : value instanceof Buffer
              ? value.toString('base64')
              : value,
        ),
      );
    }
    if (rows.length > 0) contents[String(table)] = rows.sort();
  }
  return contents;
}
