import { DehydratedActivity } from '@sf/activity';
import type { SerializationFormat, Serializer } from '@sf/serializers';

/** A minimal aggregated item for storage-level tests. */
export class Group {
  constructor(
    readonly group: string,
    readonly serializationId: string,
    readonly ids: string[],
  ) {}
}

export const flatSerializer: Serializer<DehydratedActivity> = {
  name: 'test-flat',
  dumps: (item) => item.serializationId,
  loads: (data) => new DehydratedActivity(data),
};

/** `g1|1373266755000|a,b` — tolerant reader: extra `|...` parts are ignored (like Python dates). */
export const groupSerializer: Serializer<Group> = {
  name: 'test-group',
  dumps: (item) => `${item.group}|${item.serializationId}|${item.ids.join(',')}`,
  loads: (data) => {
    const [group, id, ids] = data.split('|');
    if (!group || !id || ids === undefined || !/^\d+$/.test(id))
      throw new Error(`not a group: ${data}`);
    return new Group(group, id, ids === '' ? [] : ids.split(','));
  },
};

/** A format for storage-level tests that do not need the real serializers. */
export const testFormat = {
  name: 'test',
  activitySerializer: () => ({
    name: 'unused',
    dumps: () => {
      throw new Error('not used');
    },
    loads: () => {
      throw new Error('not used');
    },
  }),
  timelineSerializer: () => flatSerializer,
  aggregatedSerializer: () => groupSerializer,
  notificationSerializer: () => groupSerializer,
} as unknown as SerializationFormat;
