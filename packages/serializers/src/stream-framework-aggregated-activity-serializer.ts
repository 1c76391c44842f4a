import { AggregatedActivity, SerializationError, isSerializationId } from '@sf/activity';
import { buildDehydrated } from './aggregated-builder.js';
import type { AggregatedActivityClass, Serializer } from './serializer.js';
import {
  decodeAggregated,
  encodeAggregated,
  rememberDates,
  requireAggregated,
} from './stream-framework-aggregated.js';

export interface StreamFrameworkAggregatedActivitySerializerOptions {
  /** The class `loads` builds. Default: `AggregatedActivity`. */
  aggregatedActivityClass?: AggregatedActivityClass;
}

/**
 * Stream Framework 1.4's `AggregatedActivitySerializer` (Python's name; dehydrated: activity ids only), byte for
 * byte: `'v3' + ';;'.join([group, created, updated, seen, read, ids, minimized])`, e.g.
 * `v33-2013-07-08;;1373266755.123456;;1373266755.123456;;-1;;-1;;13732667551230000000042003;;0`.
 *
 * Unlike Python, `dumps` never dehydrates (mutates) its argument, `loads` checks the `v3` prefix
 * and every part, and an empty activities part loads as no activities.
 */
export class StreamFrameworkAggregatedActivitySerializer implements Serializer<AggregatedActivity> {
  readonly name: string = 'stream-framework/aggregated';
  readonly #cls: AggregatedActivityClass;

  constructor(options: StreamFrameworkAggregatedActivitySerializerOptions = {}) {
    this.#cls = options.aggregatedActivityClass ?? AggregatedActivity;
  }

  /** @throws SerializationError for a non-AggregatedActivity or a group containing `;;` */
  dumps(value: AggregatedActivity): string {
    const aggregated = requireAggregated(value, 'StreamFrameworkAggregatedActivitySerializer');
    return encodeAggregated(aggregated, aggregated.activityIds.join(';'));
  }

  /** @throws SerializationError naming the part that is missing or malformed */
  loads(data: string): AggregatedActivity {
    const { fields, microseconds, activitiesPart } = decodeAggregated(data, 'aggregated activity');
    const ids = activitiesPart === '' ? [] : activitiesPart.split(';');
    ids.forEach((id, index) => {
      if (!isSerializationId(id)) {
        const field = `activityIds[${index}]`;
        throw new SerializationError(
          `${field}: expected a decimal activity id, got ${JSON.stringify(String(id).slice(0, 60))}`,
          { field },
        );
      }
    });
    const aggregated = buildDehydrated(this.#cls, fields, ids);
    rememberDates(aggregated, microseconds);
    return aggregated;
  }
}
