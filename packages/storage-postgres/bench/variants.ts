/**
 * `pnpm bench:variants` in packages/storage-postgres: the flat fanout statement of
 * `timeline-flat.ts` run as `addToMany` runs it (one activity to a chunk of feeds per statement,
 * several statements in flight), in variants, each on an emptied table, then `COPY` of the same
 * rows: the ceiling, in the same run. Prints a table; asserts nothing.
 *
 * Variants (name: what changes): statements named or not (server-side prepared: planned once
 * per connection), feeds per statement (BENCH_CHUNK of run.ts), statements in flight (= pool
 * size), and the plain insert without trim (not a mode of the backend: what the trim costs).
 *
 * Environment: SF_POSTGRES_URL, BENCH_FEEDS (2000), BENCH_ROUNDS (100), BENCH_MAX_LENGTH (90),
 * BENCH_VARIANTS (comma-separated names; default all). Schema sf_variants_<hex>, dropped at the end.
 */
import { createHash, randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { DehydratedActivity } from '@sf/activity';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { postgresStorage } from '../src/index.js';
import { flatInsertSql, flatInsertTrimSql } from '../src/timeline-flat.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const FEEDS = env('BENCH_FEEDS', 2000);
const ROUNDS = env('BENCH_ROUNDS', 100);
const MAX_LENGTH = env('BENCH_MAX_LENGTH', 90);
const url = process.env.SF_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sf_variants_${randomBytes(4).toString('hex')}`;
const table = `"${schema}"."timeline_entries"`;
const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');

interface Variant {
  name: string;
  named: boolean;
  trim: boolean;
  chunk: number;
  inFlight: number;
  /** Through the backend's `addToMany` (its own statement and serialization), not raw SQL. */
  backend?: boolean;
}
const all: Variant[] = [
  { name: 'baseline', named: false, trim: true, chunk: 100, inFlight: 8 },
  { name: 'named', named: true, trim: true, chunk: 100, inFlight: 8 },
  { name: 'named-chunk500', named: true, trim: true, chunk: 500, inFlight: 8 },
  { name: 'named-inflight4', named: true, trim: true, chunk: 100, inFlight: 4 },
  { name: 'named-inflight16', named: true, trim: true, chunk: 100, inFlight: 16 },
  { name: 'named-notrim', named: true, trim: false, chunk: 100, inFlight: 8 },
  { name: 'backend', named: false, trim: true, chunk: 100, inFlight: 8, backend: true },
  { name: 'baseline-again', named: false, trim: true, chunk: 100, inFlight: 8 },
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
  const text = variant.trim ? flatInsertTrimSql(table) : flatInsertSql(table);
  const name = `sf_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
  const timeline =
    variant.backend === true
      ? postgresStorage({ pool, schema, countsChannel: null }).timelineStorage({
          name: 'flat',
          kind: 'flat',
          serializer: flatSerializer,
        })
      : undefined;
  try {
    await pool.query(`TRUNCATE ${table}`);
    const chunks = Math.ceil(FEEDS / variant.chunk);
    const start = process.hrtime.bigint();
    for (const [round, id] of ids.entries()) {
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(variant.inFlight, chunks) }, async () => {
          while (next < chunks) {
            const chunk = next++;
            const slice = keys.slice(chunk * variant.chunk, (chunk + 1) * variant.chunk);
            if (timeline !== undefined) {
              await timeline.addToMany(slice, [items[round]!], { maxLength: MAX_LENGTH });
              continue;
            }
            const values = variant.trim ? [slice, [id], [null], MAX_LENGTH] : [slice, [id], [null]];
            await pool.query(variant.named ? { name, text, values } : { text, values });
          }
        }),
      );
    }
    const rate = (FEEDS * ROUNDS) / (Number(process.hrtime.bigint() - start) / 1e9);
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${table} WHERE feed_key = $1`,
      [keys[0]],
    );
    const expected = variant.trim ? Math.min(ROUNDS, MAX_LENGTH) : ROUNDS;
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
    await client.query(`TRUNCATE ${table}`);
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
