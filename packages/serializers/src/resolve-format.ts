import { InvalidFormatError } from './invalid-format-error.js';
import { jsonFormat } from './json-format.js';
import type { SerializationFormat } from './serializer.js';
import { streamFrameworkFormat } from './stream-framework-format.js';

/** The formats every storage backend accepts by name. */
export type FormatName = 'json' | 'stream-framework';

/** What a storage's `format` option takes: a format name or a `SerializationFormat` object. */
export type FormatOption = FormatName | SerializationFormat;

const SERIALIZER_FACTORIES = [
  'activitySerializer',
  'timelineSerializer',
  'aggregatedSerializer',
  'notificationSerializer',
] as const;

/**
 * Resolves a storage's `format` option, checked when the storage is created rather than at its
 * first write: `'json'` (also for `undefined`), `'stream-framework'`, or an object with a `name`
 * and all four serializer factories.
 * @param option names the option in the error, e.g. `memoryStorage.format`
 * @throws InvalidFormatError naming the option, the value and what was wrong with it
 */
export function resolveFormat(format: unknown, option = 'format'): SerializationFormat {
  if (format === undefined || format === 'json') return jsonFormat();
  if (format === 'stream-framework') return streamFrameworkFormat();
  if (typeof format === 'string') {
    throw new InvalidFormatError(
      option,
      format,
      "must be 'json', 'stream-framework' or a SerializationFormat",
    );
  }
  if (typeof format !== 'object' || format === null) {
    throw new InvalidFormatError(
      option,
      format,
      "must be 'json', 'stream-framework' or a SerializationFormat",
    );
  }
  const candidate = format as Partial<Record<string, unknown>>;
  const missing = SERIALIZER_FACTORIES.filter((name) => typeof candidate[name] !== 'function');
  if (missing.length > 0) {
    throw new InvalidFormatError(
      option,
      format,
      `is not a complete SerializationFormat (missing ${missing.join(', ')}): use 'json', 'stream-framework', jsonFormat() or streamFrameworkFormat()`,
    );
  }
  if (typeof candidate.name !== 'string' || candidate.name === '') {
    throw new InvalidFormatError(option, format, 'is a SerializationFormat without a name');
  }
  return format as SerializationFormat;
}
