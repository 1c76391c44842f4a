/**
 * `pnpm bench:explain` in packages/storage-postgres: where the fanout statement's time goes.
 * Fills FEEDS feeds with FILL entries each, then for one chunk of CHUNK feeds prints
 * `EXPLAIN (ANALYZE, BUFFERS)` of the flat insert-and-trim statement (its first version and the
 * index-scan version) and of the plain insert (each in a transaction rolled back), then times
 * SAMPLES fanout statements of each kind one at a time, with synchronous_commit on and off.
 * Prints; asserts nothing. Schema sf_explain_<hex>, dropped at the end.
 *
 * Environment: SF_POSTGRES_URL, BENCH_FEEDS (2000), BENCH_FILL (89), BENCH_MAX_LENGTH (90),
 * BENCH_CHUNK (100), BENCH_SAMPLES (100).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import pg from 'pg';
import { postgresStorage } from '../src/index.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const FEEDS = env('BENCH_FEEDS', 2000);
const FILL = env('BENCH_FILL', 89);
const MAX_LENGTH = env('BENCH_MAX_LENGTH', 90);
const CHUNK = env('BENCH_CHUNK', 100);
const SAMPLES = env('BENCH_SAMPLES', 100);
const url = process.env.SF_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sf_explain_${randomBytes(4).toString('hex')}`;
const t = `"${schema}"."timeline_entries"`;

// The first version of src/timeline-flat.ts's `#insertTrimSql` (its DELETE hashed the whole
// table), and `#insertSql`, copied to be explained.
const trimSql = `WITH k AS (SELECT unnest($1::text[]) AS feed_key),
  n AS (SELECT * FROM unnest($2::numeric[], $3::bytea[]) AS n(id, value)),
  cut AS (
    SELECT k.feed_key, c.id FROM k CROSS JOIN LATERAL (
      SELECT u.id FROM (
        (SELECT id FROM ${t} AS e WHERE e.feed_key = k.feed_key ORDER BY id DESC LIMIT $4 + 1)
        UNION SELECT id FROM n) AS u
      ORDER BY u.id DESC OFFSET $4 LIMIT 1) AS c),
  del AS (
    DELETE FROM ${t} AS e USING cut WHERE e.feed_key = cut.feed_key AND e.id <= cut.id
    RETURNING 1),
  pairs AS (
    SELECT k.feed_key, n.id, n.value, cut.id AS cut FROM k CROSS JOIN n
    LEFT JOIN cut ON cut.feed_key = k.feed_key),
  ins AS (
    INSERT INTO ${t} (feed_key, id, value)
    SELECT feed_key, id, value FROM pairs WHERE cut IS NULL OR id > cut ORDER BY 1, 2
    ON CONFLICT (feed_key, id) DO NOTHING RETURNING 1)
  SELECT ((SELECT count(*) FROM ins) + (
    SELECT count(*) FROM pairs AS p WHERE p.id <= p.cut AND NOT EXISTS (
      SELECT 1 FROM ${t} AS e WHERE e.feed_key = p.feed_key AND e.id = p.id)))::int AS n`;
// The index-scan version (what src/timeline-flat.ts now does, up to the ORDER BY of the new ids
// that lets the planner merge the two inputs): the cut from a merge of two ordered inputs (UNION
// ALL of the feed's newest maxLength + 1 and the new ids it lacks: no hash, no sort), and the
// delete driven by the primary key per feed (ctids from a LATERAL index scan) instead of a hash
// join the planner may put on a sequential scan of the whole table (OFFSET 0 keeps the LATERAL
// from being flattened into such a join).
const proposedSql = `WITH k AS (SELECT unnest($1::text[]) AS feed_key),
  n AS (SELECT * FROM unnest($2::numeric[], $3::bytea[]) AS n(id, value)),
  cut AS (
    SELECT k.feed_key, c.id FROM k CROSS JOIN LATERAL (
      SELECT u.id FROM (
        (SELECT id FROM ${t} AS e WHERE e.feed_key = k.feed_key ORDER BY id DESC LIMIT $4 + 1)
        UNION ALL
        (SELECT n.id FROM n WHERE NOT EXISTS (
           SELECT 1 FROM ${t} AS x WHERE x.feed_key = k.feed_key AND x.id = n.id)
         ORDER BY n.id DESC)) AS u
      ORDER BY u.id DESC OFFSET $4 LIMIT 1) AS c),
  del AS (
    DELETE FROM ${t} AS e WHERE e.ctid = ANY (ARRAY(
      SELECT d.ctid FROM cut CROSS JOIN LATERAL (
        SELECT i.ctid FROM ${t} AS i WHERE i.feed_key = cut.feed_key AND i.id <= cut.id
        OFFSET 0) AS d))
    RETURNING 1),
  pairs AS (
    SELECT k.feed_key, n.id, n.value, cut.id AS cut FROM k CROSS JOIN n
    LEFT JOIN cut ON cut.feed_key = k.feed_key),
  ins AS (
    INSERT INTO ${t} (feed_key, id, value)
    SELECT feed_key, id, value FROM pairs WHERE cut IS NULL OR id > cut ORDER BY 1, 2
    ON CONFLICT (feed_key, id) DO NOTHING RETURNING 1)
  SELECT ((SELECT count(*) FROM ins) + (
    SELECT count(*) FROM pairs AS p WHERE p.id <= p.cut AND NOT EXISTS (
      SELECT 1 FROM ${t} AS e WHERE e.feed_key = p.feed_key AND e.id = p.id)))::int AS n`;
const plainSql = `WITH k AS (SELECT unnest($1::text[]) AS feed_key),
  n AS (SELECT * FROM unnest($2::numeric[], $3::bytea[]) AS n(id, value)),
  ins AS (
    INSERT INTO ${t} (feed_key, id, value)
    SELECT k.feed_key, n.id, n.value FROM k CROSS JOIN n ORDER BY 1, 2
    ON CONFLICT (feed_key, id) DO NOTHING RETURNING 1)
  SELECT count(*)::int AS n FROM ins`;

const keys = (from: number) =>
  Array.from({ length: CHUNK }, (_, i) => `feed:normal:${((from + i) % FEEDS) + 1}`).sort();
let nextId = 10n ** 20n;
const id = () => String((nextId += 1000n));

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const storage = postgresStorage({ pool, schema, countsChannel: null });
  await storage.sync();
  console.log(
    `load average ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}`,
  );
  try {
    await pool.query(
      `INSERT INTO ${t} (feed_key, id) SELECT 'feed:normal:' || f, 1000 * i
       FROM generate_series(1, $1::int) AS f, generate_series(1, $2::int) AS i`,
      [FEEDS, FILL],
    );
    await pool.query(`VACUUM ANALYZE ${t}`);
    const client = await pool.connect();
    try {
      for (const [name, sql, values] of [
        ['insert + trim (first version)', trimSql, [keys(0), [id()], [null], MAX_LENGTH]],
        ['insert + trim (index scans)', proposedSql, [keys(0), [id()], [null], MAX_LENGTH]],
        ['plain insert', plainSql, [keys(0), [id()], [null]]],
      ] as const) {
        await client.query('BEGIN');
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`,
          [...values],
        );
        await client.query('ROLLBACK');
        console.log(`\n--- ${name}, ${CHUNK} feeds of ${FILL} entries, one new id ---`);
        for (const row of rows) console.log(row['QUERY PLAN']);
      }
      for (const sync of ['on', 'off']) {
        await client.query(`SET synchronous_commit = ${sync}`);
        for (const [name, sql, trim] of [
          ['insert + trim (first version)', trimSql, true],
          ['insert + trim (index scans)', proposedSql, true],
          ['plain insert', plainSql, false],
        ] as const) {
          const start = process.hrtime.bigint();
          for (let i = 0; i < SAMPLES; i++) {
            const values: unknown[] = [keys(i * CHUNK), [id()], [null]];
            if (trim) values.push(MAX_LENGTH);
            await client.query(sql, values);
          }
          const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
          console.log(
            `synchronous_commit ${sync}, ${name}: ${((SAMPLES * CHUNK) / elapsed).toFixed(0)} rows/s, ${((1000 * elapsed) / SAMPLES).toFixed(2)} ms per statement (one at a time)`,
          );
        }
      }
    } finally {
      client.release();
    }
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await storage.close();
    await pool.end();
  }
}

await main();
