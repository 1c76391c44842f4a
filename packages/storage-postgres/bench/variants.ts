/**
 * `pnpm bench:variants` in packages/storage-postgres: the flat fanout as `addToMany` runs it (one
 * activity to a chunk of feeds per call, several calls in flight), in variants, each on emptied
 * tables, then `COPY` of the same rows: the ceiling, in the same run. Prints a table; asserts
 * nothing.
 *
 * Variants (name: what changes): feeds per call, calls in flight (= pool size), the insert-and-trim
 * statement of version 0.1.0 (it read each feed's newest maxLength + 1 ids to trim; kept here to
 * compare), and a plain INSERT of the same rows without counting, trimming or duplicate handling
 * (not a mode of the backend: the floor of one statement per chunk).
 *
 * Environment: SF_POSTGRES_URL, BENCH_FEEDS (2000), BENCH_ROUNDS (100), BENCH_MAX_LENGTH (90),
 * BENCH_VARIANTS (comma-separated names; default all). Schema sf_variants_<hex>, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { DehydratedActivity } from '@sf/activity';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { postgresStorage } from '../src/index.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const FEEDS = env('BENCH_FEEDS', 2000);
const ROUNDS = env('BENCH_ROUNDS', 100);
const MAX_LENGTH = env('BENCH_MAX_LENGTH', 90);
const url = process.env.SF_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sf_variants_${randomBytes(4).toString('hex')}`;
const table = `"${schema}"."timeline_entries"`;
const lengths = `"${schema}"."timeline_lengths"`;
const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');

/** Version 0.1.0's flat insert-and-trim statement (replaced by the `flat_add` function). */
const previousStatement = `WITH k AS (SELECT unnest($1::text[]) AS feed_key),
  n AS (SELECT * FROM unnest($2::numeric[], $3::bytea[]) AS n(id, value)),
  cut AS (
    SELECT k.feed_key, c.id FROM k CROSS JOIN LATERAL (
      SELECT u.id FROM (
        (SELECT id FROM ${table} AS e WHERE e.feed_key = k.feed_key ORDER BY id DESC LIMIT $4 + 1)
        UNION ALL (SELECT n.id FROM n WHERE NOT EXISTS (
          SELECT 1 FROM ${table} AS e WHERE e.feed_key = k.feed_key AND e.id = n.id))) AS u
      ORDER BY u.id DESC OFFSET $4 LIMIT 1) AS c),
  del AS (
    DELETE FROM ${table} WHERE ctid = ANY (ARRAY(
      SELECT x.ctid FROM cut CROSS JOIN LATERAL (
        SELECT ctid FROM ${table} AS e WHERE e.feed_key = cut.feed_key AND e.id <= cut.id
        OFFSET 0) AS x))
    RETURNING 1),
  pairs AS (
    SELECT k.feed_key, n.id, n.value, cut.id AS cut FROM k CROSS JOIN n
    LEFT JOIN cut ON cut.feed_key = k.feed_key),
  ins AS (
    INSERT INTO ${table} (feed_key, id, value)
    SELECT feed_key, id, value FROM pairs WHERE cut IS NULL OR id > cut ORDER BY 1, 2
    ON CONFLICT (feed_key, id) DO NOTHING RETURNING 1)
  SELECT (SELECT count(*) FROM ins)::int AS n`;

const plainInsert = `INSERT INTO ${table} (feed_key, id, value)
  SELECT k, n.id, n.value FROM unnest($1::text[]) AS k
  CROSS JOIN unnest($2::numeric[], $3::bytea[]) AS n(id, value)`;

interface Variant {
  name: string;
  chunk: number;
  inFlight: number;
  /** Raw SQL sent per chunk instead of the backend's `addToMany`; `trim` says if it trims. */
  raw?: { text: string; trim: boolean };
}
const all: Variant[] = [
  { name: 'backend', chunk: 100, inFlight: 8 },
  { name: 'backend-chunk500', chunk: 500, inFlight: 8 },
  { name: 'backend-chunk1000', chunk: 1000, inFlight: 8 },
  { name: 'backend-inflight4', chunk: 100, inFlight: 4 },
  { name: 'backend-inflight16', chunk: 100, inFlight: 16 },
  {
    name: 'previous-statement',
    chunk: 100,
    inFlight: 8,
    raw: { text: previousStatement, trim: true },
  },
  { name: 'plain-insert', chunk: 100, inFlight: 8, raw: { text: plainInsert, trim: false } },
  {
    name: 'plain-insert-chunk500',
    chunk: 500,
    inFlight: 8,
    raw: { text: plainInsert, trim: false },
  },
  { name: 'backend-again', chunk: 100, inFlight: 8 },
];
const wanted = process.env.BENCH_VARIANTS?.split(',');
const variants = wanted === undefined ? all : all.filter((v) => wanted.includes(v.name));

const keys = Array.from({ length: FEEDS }, (_, i) => `feed:normal:${String(i).padStart(6, '0')}`);
const ids = Array.from({ length: ROUNDS }, (_, round) => `${1_700_000_000_000 + round}000000`);

const items = ids.map((id) => new DehydratedActivity(id));
const flatSerializer = {
  name: 'bench-flat',
  dumps: (item: DehydratedActivity) => item.serializationId,
  loads: (data: string) => new DehydratedActivity(data),
};

async function run(variant: Variant): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: variant.inFlight });
  const timeline = postgresStorage({ pool, schema, countsChannel: null }).timelineStorage({
    name: 'flat',
    kind: 'flat',
    serializer: flatSerializer,
  });
  try {
    await pool.query(`TRUNCATE ${table}, ${lengths}`);
    const chunks = Math.ceil(FEEDS / variant.chunk);
    const start = process.hrtime.bigint();
    for (const [round, id] of ids.entries()) {
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(variant.inFlight, chunks) }, async () => {
          while (next < chunks) {
            const chunk = next++;
            const slice = keys.slice(chunk * variant.chunk, (chunk + 1) * variant.chunk);
            if (variant.raw === undefined) {
              await timeline.addToMany(slice, [items[round]!], { maxLength: MAX_LENGTH });
            } else {
              const values: unknown[] = [slice, [id], [null]];
              if (variant.raw.trim) values.push(MAX_LENGTH);
              await pool.query(variant.raw.text, values);
            }
          }
        }),
      );
    }
    const rate = (FEEDS * ROUNDS) / (Number(process.hrtime.bigint() - start) / 1e9);
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${table} WHERE feed_key = $1`,
      [keys[0]],
    );
    const trims = variant.raw === undefined || variant.raw.trim;
    const expected = trims ? Math.min(ROUNDS, MAX_LENGTH) : ROUNDS;
    if (rows[0]!.n !== expected) throw new Error(`${variant.name}: ${rows[0]!.n} != ${expected}`);
    return rate;
  } finally {
    await pool.end();
  }
}

async function copy(): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`TRUNCATE ${table}, ${lengths}`);
    function* lines(): Generator<string> {
      for (const id of ids) {
        let batch = '';
        for (const key of keys) batch += `${key}\t${id}\t\\N\n`;
        yield batch;
      }
    }
    const start = process.hrtime.bigint();
    await pipeline(
      Readable.from(lines()),
      client.query(copyFrom(`COPY ${table} (feed_key, id, value) FROM STDIN`)),
    );
    return (FEEDS * ROUNDS) / (Number(process.hrtime.bigint() - start) / 1e9);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const storage = postgresStorage({ connectionString: url, schema, countsChannel: null });
  await storage.sync();
  console.log(
    `${FEEDS} feeds x ${ROUNDS} rounds (maxLength ${MAX_LENGTH}); load average ${load()}`,
  );
  const results: string[][] = [];
  try {
    for (const variant of variants) {
      const rate = await run(variant);
      results.push([variant.name, String(Math.round(rate)), load()]);
      console.log(`${variant.name}: ${Math.round(rate)} writes/s (load ${load()})`);
    }
    const ceiling = await copy();
    console.log(`COPY: ${Math.round(ceiling)} rows/s (load ${load()})\n`);
    console.log('| variant | writes/s | / COPY | load (1, 5, 15 min) |');
    for (const [name, rate, at] of results)
      console.log(
        `| ${name} | ${rate} | ${Math.round((100 * Number(rate)) / ceiling)} % | ${at} |`,
      );
    console.log(`| COPY | ${Math.round(ceiling)} | 100 % | ${load()} |`);
  } finally {
    await storage.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await storage.close();
  }
}

await main();
