import { SerializationError, UnknownVerbError } from '@sf/activity';
import { jsonFormat, streamFrameworkFormat } from '@sf/serializers';
import type { SerializationFormat, Serializer } from '@sf/serializers';
import type { TimelineKind } from './backend/contracts.js';

/** What a stored value is: an activity storage value, or the member of a kind of timeline. */
export type StoredValueKind = 'activity' | TimelineKind;

/** The bundled formats, by name: the candidates a mismatch is looked for in. */
const knownFormats: Record<string, () => SerializationFormat> = {
  json: () => jsonFormat(),
  'stream-framework': () => streamFrameworkFormat(),
};

interface FormatMismatchOptions {
  key: string;
  feedKey?: string | undefined;
  kind: StoredValueKind;
  configuredFormat: string;
  detectedFormat: string;
  entries: number;
  decoded: number;
}

/**
 * Every entry a read got from a key failed to decode in the configured format, but entries
 * decode in another bundled format: the storage is configured with the wrong `format` (e.g. a
 * Python Stream Framework keyspace read with the default JSON format). Names the key, both
 * formats and how many entries decoded in each.
 */
export class FormatMismatchError extends SerializationError {
  /** The storage key the entries were read from. */
  readonly key: string;
  /** The format the storage (or feed) is configured with. */
  readonly configuredFormat: string;
  /** The format the entries decode in: the one to configure. */
  readonly detectedFormat: string;
  /** Entries read (none decoded in the configured format). */
  readonly entries: number;
  /** Of those, how many decode in the detected format. */
  readonly decoded: number;

  /** The feed whose read this was, when known (for timelines, the key without the storage's prefix). */
  readonly feedKey: string | undefined;
  readonly #options: FormatMismatchOptions;

  constructor(options: FormatMismatchOptions) {
    const what =
      options.kind === 'activity' ? 'activity values' : `${options.kind} timeline members`;
    const feed =
      options.feedKey === undefined ? '' : ` for feed ${JSON.stringify(options.feedKey)}`;
    super(
      `none of the ${options.entries} ${what} read from key ${JSON.stringify(options.key)}${feed} decode in the configured format ` +
        `'${options.configuredFormat}', but ${options.decoded} decode in the '${options.detectedFormat}' format: ` +
        `configure format: '${options.detectedFormat}' to read this keyspace` +
        (options.detectedFormat === 'stream-framework'
          ? ' (it was written by Python Stream Framework or in its format)'
          : ''),
      { field: options.key, code: 'SF_FORMAT_MISMATCH' },
    );
    this.#options = options;
    this.key = options.key;
    this.feedKey = options.feedKey;
    this.configuredFormat = options.configuredFormat;
    this.detectedFormat = options.detectedFormat;
    this.entries = options.entries;
    this.decoded = options.decoded;
  }

  /** The same error naming the feed whose read it was (unless it names one already). */
  forFeed(feedKey: string): FormatMismatchError {
    return this.feedKey === undefined
      ? new FormatMismatchError({ ...this.#options, feedKey })
      : this;
  }
}

function serializerOf(
  format: SerializationFormat,
  kind: StoredValueKind,
): Serializer<unknown> | undefined {
  if (kind === 'activity') return format.activitySerializer();
  if (kind === 'aggregated') return format.aggregatedSerializer();
  if (kind === 'notification') return format.notificationSerializer();
  // flat timelines hold bare ids in every format: nothing to tell apart
  return undefined;
}

/** An entry decodes when `loads` accepts it; a verb the default registry lacks does not count against it. */
function decodes(serializer: Serializer<unknown>, entry: string): boolean {
  try {
    serializer.loads(entry);
    return true;
  } catch (error) {
    for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
      if (cause instanceof UnknownVerbError) return true;
    }
    return false;
  }
}

/**
 * Call when NONE of the entries a read got from `key` decoded in `format`: returns the
 * FormatMismatchError to throw when at least one of them decodes in the other bundled format
 * (so a page of corrupt entries in the right format is still only skipped and reported), else
 * undefined.
 */
export function detectFormatMismatch(options: {
  key: string;
  feedKey?: string | undefined;
  kind: StoredValueKind;
  format: string;
  entries: readonly string[];
}): FormatMismatchError | undefined {
  if (options.entries.length === 0 || !Object.hasOwn(knownFormats, options.format))
    return undefined;
  for (const [name, build] of Object.entries(knownFormats)) {
    if (name === options.format) continue;
    const serializer = serializerOf(build(), options.kind);
    if (!serializer) return undefined;
    const decoded = options.entries.filter((entry) => decodes(serializer, entry)).length;
    if (decoded > 0) {
      return new FormatMismatchError({
        key: options.key,
        feedKey: options.feedKey,
        kind: options.kind,
        configuredFormat: options.format,
        detectedFormat: name,
        entries: options.entries.length,
        decoded,
      });
    }
  }
  return undefined;
}
