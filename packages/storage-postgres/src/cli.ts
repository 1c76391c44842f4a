import { parseArgs } from 'node:util';
import { SfError } from '@sf/activity';
import { migrate } from './migrate.js';

const usage = `Usage: sf-postgres-migrate [--url <postgres://...>] [--schema <name>]

Applies the @sf/storage-postgres migrations the schema lacks (idempotent; safe to run from
several processes at once) and prints each version it applied.

  --url     connection string (default: $SF_POSTGRES_URL, else $DATABASE_URL)
  --schema  schema holding the tables (default: sf)`;

/** The CLI: returns the exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let values: { url?: string | undefined; schema?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        url: { type: 'string' },
        schema: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const url = values.url ?? env.SF_POSTGRES_URL ?? env.DATABASE_URL;
  if (!url) {
    console.error(`no connection string: pass --url or set SF_POSTGRES_URL\n\n${usage}`);
    return 2;
  }
  const schema = values.schema ?? 'sf';
  try {
    const applied = await migrate({ connectionString: url, schema });
    for (const migration of applied)
      console.log(`applied ${migration.version} ${migration.name} (schema ${schema})`);
    if (applied.length === 0) console.log(`schema ${schema} is up to date`);
    return 0;
  } catch (error) {
    const code = SfError.isInstance(error) ? ` [${error.code}]` : '';
    console.error(`sf-postgres-migrate failed${code}: ${(error as Error).message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
