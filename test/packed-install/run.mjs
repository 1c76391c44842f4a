#!/usr/bin/env node
/**
 * The packed-install test: packages installed the way a user installs them, outside the monorepo.
 *
 * 1. Builds the packages and `pnpm pack`s every publishable one (not `private`); a tarball that
 *    still holds a `workspace:` range fails.
 * 2. For each package, makes a scratch project in a temp dir and installs with plain `npm` exactly
 *    what the package README's `pnpm add` lines name (the @sf packages from the tarballs).
 * 3. Compiles the README's examples there with TypeScript (strict, against the installed type
 *    declarations) and runs the output with plain Node; an example is a ```ts block right after
 *    an `<!-- example -->` line. An example must exit by itself (close what it opened).
 *    Examples that import ioredis / BullMQ / the Redis storage run against the Redis at
 *    REDIS_URL (default redis://127.0.0.1:6379), under a key prefix of their own
 *    (SF_KEY_PREFIX, SF_QUEUE_PREFIX) that is deleted afterwards, once with the ioredis npm
 *    installs by default (6) and once more with ioredis 5; those that import the Cassandra
 *    storage run against CASSANDRA_CONTACT_POINTS (default 127.0.0.1) in a keyspace of their own
 *    (SF_KEYSPACE), dropped afterwards.
 * 4. Checks that every `exports` entry resolves through `createRequire(...).resolve` (the
 *    `default` condition) and `import`, and that the bins start.
 *
 * Usage: node test/packed-install/run.mjs [package short names...]  (SF_PACKED_KEEP=1 keeps the
 * temp dir). Needs the npm registry (or npm's cache) for third-party packages.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const started = Date.now();
const only = new Set(process.argv.slice(2));
const keep = process.env.SF_PACKED_KEEP === '1';
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const cassandraContactPoints = process.env.CASSANDRA_CONTACT_POINTS || '127.0.0.1';
const EXAMPLE_TIMEOUT_MS = 120_000;

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const log = (line) => console.log(`[packed-install] ${line}`);
const failures = [];
const fail = (where, message) => {
  failures.push(`${where}: ${message}`);
  console.log(`[packed-install] FAIL ${where}: ${message}`);
};

/** Runs a command; resolves with its exit code and output (never rejects). */
function run(command, args, { cwd = root, env = {}, timeout = 600_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeout);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: -1, output: `${output}${error.message}`, timedOut });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output, timedOut });
    });
  });
}

const indent = (text) =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => `    | ${line}`)
    .join('\n');

function reachable(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
}

/** The package names of a README's `pnpm add` lines, with the version when one is given. */
export function installSpecs(readme) {
  const specs = new Map();
  for (const line of readme.split('\n')) {
    const match = /^\s*pnpm add\s+([^#]*)/.exec(line);
    if (!match) continue;
    for (const word of match[1].trim().split(/\s+/)) {
      if (!word || word.startsWith('-')) continue;
      const at = word.lastIndexOf('@');
      if (at > 0) specs.set(word.slice(0, at), word.slice(at + 1));
      else specs.set(word, 'latest');
    }
  }
  return specs;
}

/** The ```ts blocks that directly follow an `<!-- example -->` line. */
export function examples(readme) {
  const found = [];
  const lines = readme.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '<!-- example -->') continue;
    let start = i + 1;
    while (start < lines.length && lines[start].trim() === '') start++;
    if (!/^```(ts|typescript)\s*$/.test(lines[start] ?? '')) {
      found.push({ line: i + 1, error: 'the marker is not followed by a ```ts block' });
      continue;
    }
    const end = lines.findIndex((line, index) => index > start && /^```\s*$/.test(line));
    if (end < 0) {
      found.push({ line: i + 1, error: 'unterminated code block' });
      continue;
    }
    found.push({ line: start + 2, code: lines.slice(start + 1, end).join('\n') + '\n' });
  }
  return found;
}

/** The package a bare import specifier names (`@sf/manager/bullmq` -> `@sf/manager`). */
const packageOf = (specifier) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];

function importsOf(code) {
  const specifiers = new Set();
  for (const match of code.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
    specifiers.add(match[1]);
  }
  for (const match of code.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) specifiers.add(match[1]);
  return [...specifiers].filter((s) => !s.startsWith('node:') && !s.startsWith('.'));
}

const npmInstall = (cwd, args = []) =>
  run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...args],
    {
      cwd,
    },
  );

async function main() {
  const work = await mkdtemp(path.join(tmpdir(), 'sf-packed-'));
  const tarballs = path.join(work, 'tarballs');
  const tools = path.join(work, 'tools');
  await mkdir(tarballs);
  await mkdir(tools);
  log(`scratch dir ${work}`);
  try {
    await test(work, tarballs, tools);
  } finally {
    if (keep || failures.length) log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
  log(`${failures.length ? `${failures.length} FAILED` : 'passed'} in ${seconds(started)}`);
  for (const failure of failures) console.log(`  - ${failure}`);
  process.exitCode = failures.length ? 1 : 0;
}

async function test(work, tarballs, tools) {
  let since = Date.now();
  const build = await run(path.join(root, 'scripts/pnpm.sh'), [
    'exec',
    'turbo',
    'run',
    'build',
    '--filter=./packages/*',
    '--output-logs=errors-only',
  ]);
  if (build.code !== 0) return fail('build', `turbo build failed\n${indent(build.output)}`);
  log(`built the packages in ${seconds(since)}`);

  since = Date.now();
  const packages = [];
  for (const dir of (await readdir(path.join(root, 'packages'))).sort()) {
    const pkgDir = path.join(root, 'packages', dir);
    const manifest = JSON.parse(await readFile(path.join(pkgDir, 'package.json'), 'utf8'));
    if (manifest.private) continue;
    // pnpm's tarball name: @sf/activity 0.1.0 -> sf-activity-0.1.0.tgz
    const file = `${manifest.name.replace('@', '').replace('/', '-')}-${manifest.version}.tgz`;
    packages.push({ dir, pkgDir, manifest, tarball: path.join(tarballs, file) });
  }
  const filters = packages.flatMap((p) => ['--filter', p.manifest.name]);
  const packed = await run(path.join(root, 'scripts/pnpm.sh'), [
    '-r',
    ...filters,
    'pack',
    '--pack-destination',
    tarballs,
  ]);
  if (packed.code !== 0) return fail('pack', `pnpm pack failed\n${indent(packed.output)}`);
  for (const { manifest, tarball } of packages) {
    const inner = await run('tar', ['-xzOf', tarball, 'package/package.json']);
    if (inner.code !== 0)
      return fail(manifest.name, `no tarball ${tarball}\n${indent(inner.output)}`);
    const packedManifest = JSON.parse(inner.output);
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [name, range] of Object.entries(packedManifest[field] ?? {})) {
        if (String(range).startsWith('workspace:')) {
          fail(manifest.name, `the tarball's ${field} keeps ${name}@${range}`);
        }
      }
    }
  }
  log(`packed ${packages.length} packages in ${seconds(since)}`);
  const tarballOf = new Map(packages.map((p) => [p.manifest.name, `file:${p.tarball}`]));

  // TypeScript and Node's types, once, beside the projects (not above them: nothing leaks in).
  since = Date.now();
  const rootManifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
  await writeFile(
    path.join(tools, 'package.json'),
    JSON.stringify({
      name: 'sf-packed-tools',
      private: true,
      dependencies: {
        typescript: rootManifest.devDependencies.typescript,
        '@types/node': rootManifest.devDependencies['@types/node'],
      },
    }),
  );
  const toolsInstall = await npmInstall(tools);
  if (toolsInstall.code !== 0)
    return fail('tools', `npm install failed\n${indent(toolsInstall.output)}`);
  log(`installed typescript in ${seconds(since)}`);
  const tsc = path.join(tools, 'node_modules/typescript/bin/tsc');

  const selected = packages.filter((p) => only.size === 0 || only.has(p.dir));
  const projects = [];
  for (const pkg of selected) {
    const readme = await readFile(path.join(pkg.pkgDir, 'README.md'), 'utf8');
    const specs = installSpecs(readme);
    const blocks = examples(readme);
    const where = `packages/${pkg.dir}/README.md`;
    if (!specs.has(pkg.manifest.name)) fail(where, `no \`pnpm add ${pkg.manifest.name}\` line`);
    if (blocks.length === 0) fail(where, 'no example (a ```ts block after <!-- example -->)');
    const ok = [];
    for (const block of blocks) {
      if (block.error) {
        fail(`${where}:${block.line}`, block.error);
        continue;
      }
      const missing = importsOf(block.code)
        .map(packageOf)
        .filter((name) => !specs.has(name));
      if (missing.length) {
        fail(
          `${where}:${block.line}`,
          `imports ${missing.join(', ')}, which its \`pnpm add\` lines do not add`,
        );
      }
      ok.push({ ...block, imports: importsOf(block.code) });
    }
    const dependencies = {};
    for (const [name, version] of specs) {
      if (name.startsWith('@sf/')) {
        if (!tarballOf.has(name)) fail(where, `\`pnpm add ${name}\`: no such publishable package`);
        else dependencies[name] = tarballOf.get(name);
      } else dependencies[name] = version;
    }
    const dir = path.join(work, 'projects', pkg.dir);
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, 'package.json'),
      JSON.stringify(
        {
          name: `sf-packed-${pkg.dir}`,
          private: true,
          type: 'module',
          dependencies,
          overrides: Object.fromEntries(tarballOf),
        },
        null,
        2,
      ),
    );
    await writeFile(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2023'],
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            // As most projects have it; ioredis 5's declarations import an untyped module.
            skipLibCheck: true,
            types: ['node'],
            typeRoots: [path.join(tools, 'node_modules/@types')],
            outDir: 'out',
            rootDir: '.',
          },
          include: ['example-*.ts'],
        },
        null,
        2,
      ),
    );
    projects.push({ pkg, dir, where, examples: ok });
  }

  // Installs are network/disk bound: a few at once.
  since = Date.now();
  const queue = [...projects];
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      for (let project = queue.shift(); project; project = queue.shift()) {
        const result = await npmInstall(project.dir);
        project.installed = result.code === 0;
        if (!project.installed) fail(project.where, `npm install failed\n${indent(result.output)}`);
      }
    }),
  );
  log(`npm installed ${projects.length} scratch projects in ${seconds(since)}`);

  const all = projects.flatMap((p) => p.examples.map((e) => e.imports));
  const redis = new URL(redisUrl);
  if (all.some(needsRedis) && !(await reachable(redis.hostname, Number(redis.port || 6379)))) {
    fail('services', `no Redis at ${redisUrl} (scripts/redis-single.sh ensure starts one)`);
  }
  const cassandraHost = cassandraContactPoints.split(',')[0].split(':')[0];
  if (
    all.some(needsCassandra) &&
    !(await reachable(cassandraHost, Number(process.env.CASSANDRA_PORT || 9042)))
  ) {
    fail('services', `no Cassandra at ${cassandraHost} (scripts/cassandra.sh start starts one)`);
  }

  for (const project of projects) {
    if (!project.installed) continue;
    const where = project.where;
    since = Date.now();
    await checkExports(project);
    await checkBins(project);
    if (project.examples.length === 0) continue;
    const redisExamples = project.examples.filter((e) => needsRedis(e.imports));
    await runExamples(project, project.examples, tsc);
    if (redisExamples.length) {
      // The peer range takes ioredis 5 and 6: the default install got 6, now the same with 5.
      const downgrade = await npmInstall(project.dir, ['ioredis@5']);
      if (downgrade.code !== 0)
        fail(where, `npm install ioredis@5 failed\n${indent(downgrade.output)}`);
      else await runExamples(project, redisExamples, tsc);
    }
    log(`${project.pkg.manifest.name}: done in ${seconds(since)}`);
  }
}

const needsRedis = (imports) =>
  imports.some((s) => ['ioredis', 'bullmq', '@sf/storage-redis', '@sf/manager/bullmq'].includes(s));
const needsCassandra = (imports) => imports.includes('@sf/storage-cassandra');

async function ioredisVersion(dir) {
  try {
    return JSON.parse(await readFile(path.join(dir, 'node_modules/ioredis/package.json'), 'utf8'))
      .version;
  } catch {
    return undefined;
  }
}

async function runExamples(project, blocks, tsc) {
  const { dir, where } = project;
  await rm(path.join(dir, 'out'), { recursive: true, force: true });
  for (const file of (await readdir(dir)).filter((f) => /^example-\d+\.ts$/.test(f))) {
    await rm(path.join(dir, file));
  }
  for (const block of blocks)
    await writeFile(path.join(dir, `example-${block.line}.ts`), block.code);
  const compiled = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir });
  if (compiled.code !== 0) {
    return fail(
      where,
      `the examples do not compile (line numbers: example-<README line>.ts)\n${indent(compiled.output)}`,
    );
  }
  const ioredis = await ioredisVersion(dir);
  for (const block of blocks) {
    const id = randomBytes(4).toString('hex');
    const env = {
      REDIS_URL: redisUrl,
      SF_KEY_PREFIX: `sf-packed-${id}:`,
      SF_QUEUE_PREFIX: `sf-packed-${id}-bull`,
      SF_KEYSPACE: `sf_packed_${id}`,
      SF_SCHEMA: `sf_packed_${id}`,
      CASSANDRA_CONTACT_POINTS: cassandraContactPoints,
    };
    const since = Date.now();
    const result = await run(process.execPath, [`out/example-${block.line}.js`], {
      cwd: dir,
      env,
      timeout: EXAMPLE_TIMEOUT_MS,
    });
    const label = `${where}:${block.line}${needsRedis(block.imports) ? ` (ioredis ${ioredis})` : ''}`;
    if (result.timedOut) {
      fail(
        label,
        `did not exit within ${EXAMPLE_TIMEOUT_MS / 1000} s (an example closes what it opens)\n${indent(result.output)}`,
      );
    } else if (result.code !== 0) {
      fail(label, `exited with ${result.code}\n${indent(result.output)}`);
    } else {
      log(`ok ${label} in ${seconds(since)}`);
    }
    await cleanUp(project, block, env);
  }
}

/**
 * Deletes what an example wrote: its Redis keys and BullMQ queues, its Cassandra keyspace, its
 * PostgreSQL schema.
 */
async function cleanUp(project, block, env) {
  const scripts = [];
  if (needsRedis(block.imports)) {
    scripts.push(`
      import { Redis } from 'ioredis';
      const redis = new Redis(process.env.REDIS_URL);
      for (const pattern of [process.env.SF_KEY_PREFIX + '*', process.env.SF_QUEUE_PREFIX + ':*']) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          if (keys.length) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      }
      await redis.quit();`);
  }
  if (block.imports.includes('@sf/storage-cassandra')) {
    scripts.push(`
      import cassandra from 'cassandra-driver';
      const client = new cassandra.Client({
        contactPoints: process.env.CASSANDRA_CONTACT_POINTS.split(','),
        localDataCenter: process.env.CASSANDRA_LOCAL_DC || 'datacenter1',
      });
      await client.execute('DROP KEYSPACE IF EXISTS ' + process.env.SF_KEYSPACE);
      await client.shutdown();`);
  }
  if (block.imports.includes('@sf/storage-postgres')) {
    scripts.push(`
      import pg from 'pg';
      const client = new pg.Client({
        connectionString: process.env.SF_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test',
      });
      await client.connect();
      await client.query('DROP SCHEMA IF EXISTS "' + process.env.SF_SCHEMA + '" CASCADE');
      await client.end();`);
  }
  for (const script of scripts) {
    const file = path.join(project.dir, 'cleanup.mjs');
    await writeFile(file, script);
    const result = await run(process.execPath, [file], { cwd: project.dir, env, timeout: 120_000 });
    if (result.code !== 0)
      fail(`${project.where}:${block.line}`, `clean-up failed\n${indent(result.output)}`);
  }
}

/** Every `exports` entry resolves with createRequire (the `default` condition) and imports. */
async function checkExports(project) {
  const name = project.pkg.manifest.name;
  const script = `
    import { createRequire } from 'node:module';
    import { fileURLToPath } from 'node:url';
    const require = createRequire(import.meta.url);
    const name = ${JSON.stringify(name)};
    const manifest = require(name + '/package.json');
    const optionalPeers = Object.keys(manifest.peerDependenciesMeta ?? {});
    const problems = [];
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (subpath === './package.json') continue;
      const specifier = subpath === '.' ? name : name + subpath.slice(1);
      if (typeof target !== 'object' || !target.default || target.default !== target.import) {
        problems.push(specifier + ': needs a default condition equal to import');
        continue;
      }
      let resolved;
      try {
        resolved = require.resolve(specifier);
      } catch (error) {
        problems.push(specifier + ': createRequire().resolve failed: ' + error.message);
        continue;
      }
      if (!resolved.endsWith(target.default.slice(1))) problems.push(specifier + ': resolves to ' + resolved);
      if (fileURLToPath(import.meta.resolve(specifier)) !== resolved) problems.push(specifier + ': import resolves elsewhere');
      try {
        const module = await import(specifier);
        if (Object.keys(module).length === 0) problems.push(specifier + ': exports nothing');
      } catch (error) {
        // An entry built on an optional peer (vitest for @sf/feeds/testing) needs that peer.
        const peer = optionalPeers.find((peer) => String(error.message).includes("'" + peer + "'"));
        if (!peer) problems.push(specifier + ': import failed: ' + error.message);
      }
    }
    if (problems.length) {
      console.error(problems.join('\\n'));
      process.exit(1);
    }`;
  const file = path.join(project.dir, 'check-exports.mjs');
  await writeFile(file, script);
  const result = await run(process.execPath, [file], { cwd: project.dir });
  if (result.code !== 0) fail(`${name} exports`, `\n${indent(result.output)}`);
}

/** Each bin starts from the installed package and answers a bad configuration as documented. */
async function checkBins(project) {
  const expected = {
    'sf-fanout-worker': {
      args: [],
      env: { SF_MANAGER_MODULE: '' },
      code: 1,
      text: 'sf-fanout-worker:',
    },
    'sf-redis-migration-check': {
      args: ['--no-such-option'],
      env: {},
      code: 2,
      text: 'usage: sf-redis-migration-check',
    },
  };
  for (const bin of Object.keys(project.pkg.manifest.bin ?? {})) {
    const check = expected[bin];
    if (!check) {
      fail(`${project.pkg.manifest.name} bin`, `${bin}: no check in test/packed-install/run.mjs`);
      continue;
    }
    const result = await run(path.join(project.dir, 'node_modules/.bin', bin), check.args, {
      cwd: project.dir,
      env: check.env,
      timeout: 30_000,
    });
    if (result.code !== check.code || !result.output.includes(check.text)) {
      fail(
        `${project.pkg.manifest.name} bin`,
        `${bin} exited ${result.code}\n${indent(result.output)}`,
      );
    } else log(`ok bin ${bin}`);
  }
}

await main();
