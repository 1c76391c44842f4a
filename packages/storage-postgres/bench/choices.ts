/**
 * The rough measurements behind two choices of the README (one run, printed, not asserted):
 *
 * 1. Trimming: fanout writes (one activity to a chunk of feeds per statement, as the Manager's
 *    fanout does) with the exact in-statement trim against the same writes with no trim at all
 *    (the foreground cost of a background-trim design, before its trimming work).
 * 2. Concurrency: aggregated `modify` on one hot feed and on distinct feeds, in modifyMode 'lock'
 *    and 'serializable', with separate pools (as separate processes).
 *
 * Run: SF_POSTGRES_URL=... node --conditions=@sf/source --import tsx bench/choices.ts
 */
import { randomBytes } from 'node:crypto';
import { Activity, DehydratedActivity, Love } from '@sf/activity';
import { AggregatedFeed } from '@sf/feeds';
import pg from 'pg';
import { postgresStorage, type ModifyMode } from '../src/index.js';

const url = process.env.SF_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const FEEDS = Number(process.env.FEEDS ?? 2000);
const ACTIVITIES = Number(process.env.ACTIVITIES ?? 60);
const MAX_LENGTH = 50;

const flatSerializer = {
  name: 'bench-flat',
  dumps: (item: DehydratedActivity) => item.serializationId,
  loads: (data: string) => new DehydratedActivity(data),
};

async function fanout(trim: boolean): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const storage = postgresStorage({ pool, schema: `sf_bench_${randomBytes(4).toString('hex')}` });
  await storage.sync();
  try {
    const timeline = storage.timelineStorage({
      name: 'flat',
      kind: 'flat',
      serializer: flatSerializer,
    });
    const keys = Array.from({ length: FEEDS }, (_, i) => `feed:normal:${i}`);
    const started = process.hrtime.bigint();
    for (let a = 0; a < ACTIVITIES; a++) {
      const item = new DehydratedActivity(String(1_700_000_000_000_000 + a));
      // chunks of 500 feeds, 4 at a time (a fanout worker's concurrency)
      const chunks = Array.from({ length: Math.ceil(FEEDS / 500) }, (_, c) =>
        keys.slice(c * 500, c * 500 + 500),
      );
      await Promise.all(
        chunks.map((chunk) =>
          timeline.addToMany(chunk, [item], trim ? { maxLength: MAX_LENGTH } : {}),
        ),
      );
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return (FEEDS * ACTIVITIES) / seconds;
  } finally {
    await pool.query(`DROP SCHEMA "${storage.schema}" CASCADE`);
    await storage.close();
    await pool.end();
  }
}

async function modifyRate(mode: ModifyMode, writers: number, hot: boolean): Promise<string> {
  const schema = `sf_bench_${randomBytes(4).toString('hex')}`;
  const pools = Array.from(
    { length: writers },
    () => new pg.Pool({ connectionString: url, max: 2 }),
  );
  const storages = pools.map((pool) =>
    postgresStorage({ pool, schema, modifyMode: mode, attempts: 50, lockTimeout: 60_000 }),
  );
  await storages[0]!.sync();
  const perWriter = 40;
  let failed = 0;
  try {
    const definitions = storages.map((storage) =>
      AggregatedFeed.define({ name: 'aggregated', keyFormat: 'feed:aggregated:{userId}', storage }),
    );
    const all = Array.from(
      { length: writers * perWriter },
      (_, k) =>
        new Activity({
          actor: k % writers,
          verb: Love,
          object: k,
          time: Date.UTC(2024, 0, 1) + (k % 40) * 86_400_000 + k * 1000,
        }),
    );
    await definitions[0]!.insertActivities(all);
    const started = process.hrtime.bigint();
    await Promise.all(
      definitions.map(async (definition, w) => {
        for (let i = 0; i < perWriter; i++) {
          await definition
            .for(hot ? 1 : 100 + w)
            .add(all[w * perWriter + i]!)
            .catch(() => (failed += 1));
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return `${Math.round((writers * perWriter) / seconds)} modify/s, ${failed} failed`;
  } finally {
    await pools[0]!.query(`DROP SCHEMA "${schema}" CASCADE`);
    await Promise.all(storages.map((storage) => storage.close()));
    await Promise.all(pools.map((pool) => pool.end()));
  }
}

console.log(`fanout, ${FEEDS} feeds x ${ACTIVITIES} activities, chunks of 500 feeds:`);
console.log(
  `  exact trim in the statement (maxLength ${MAX_LENGTH}): ${Math.round(await fanout(true))} rows/s`,
);
console.log(
  `  no trim (background-trim foreground cost):  ${Math.round(await fanout(false))} rows/s`,
);
for (const hot of [true, false]) {
  for (const mode of ['lock', 'serializable'] as const) {
    console.log(
      `modify, 8 writers, ${hot ? 'one feed' : 'a feed each'}, ${mode}: ${await modifyRate(mode, 8, hot)}`,
    );
  }
}
