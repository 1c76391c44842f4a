import type { MarkerEvent } from '@sf/feeds/backend';
import { NotificationFeed } from '@sf/feeds';
import { makeActivities } from '@sf/feeds/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresStorage } from '../../src/index.js';
import { createPool, eventually, uniqueSchema } from './helpers.js';

// Marker count events between processes: two backends on two pools (as two processes would have)
// over one schema. One subscribes, the other writes.
const pools = [createPool(), createPool()] as const;
const schema = uniqueSchema();
const [listening, writing] = pools.map((pool) => postgresStorage({ pool, schema }));

afterAll(async () => {
  await listening!.close();
  await writing!.close();
  await pools[0].query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await Promise.all(pools.map((pool) => pool.end()));
});

describe('LISTEN/NOTIFY across pools', () => {
  it("delivers another pool's marker counts, in order, once per change; nothing after unsubscribe", async () => {
    await writing!.sync();
    const events: MarkerEvent[] = [];
    const unsubscribe = await listening!
      .markerStorage({ name: 'n' })
      .subscribe((event) => events.push(event));
    const markers = writing!.markerStorage({ name: 'n' });
    await markers.update('notification_feed:1', { add: { unseen: ['1', '2'], unread: ['1'] } }, 10);
    await markers.update('notification_feed:1', { add: { unseen: ['1'] } }, 10); // moves 1: no count change, still a change
    await markers.update('notification_feed:1', { remove: { unseen: ['9'] } }, 10); // no change: no event
    await markers.update('notification_feed:1', { clear: { unseen: true } }, 10);
    await markers.delete('notification_feed:1');
    const expected = [
      { key: 'notification_feed:1', unseen: 2, unread: 1 },
      { key: 'notification_feed:1', unseen: 2, unread: 1 },
      { key: 'notification_feed:1', unseen: 0, unread: 1 },
      { key: 'notification_feed:1', unseen: 0, unread: 0 },
    ];
    await eventually(() => events.length >= expected.length);
    expect(events).toEqual(expected);
    await unsubscribe();
    await markers.update('notification_feed:1', { add: { unseen: ['3'] } }, 10);
    // a second subscriber (opened after the update) proves the event went out; the first got none
    const later: MarkerEvent[] = [];
    const stop = await listening!
      .markerStorage({ name: 'n' })
      .subscribe((event) => later.push(event));
    await markers.update('notification_feed:1', { add: { unseen: ['4'] } }, 10);
    await eventually(() => later.length === 1);
    expect(later).toEqual([{ key: 'notification_feed:1', unseen: 2, unread: 0 }]);
    expect(events).toHaveLength(expected.length);
    await stop();
  });

  it("a notification feed's subscribers hear counts of writes made by another process", async () => {
    const define = (storage: typeof listening) =>
      NotificationFeed.define({
        name: 'notification',
        keyFormat: 'notification_feed:{userId}',
        storage: storage!,
      });
    const heard: MarkerEvent[] = [];
    const stop = await define(listening).subscribe((event) => heard.push(event));
    await define(writing).for(7).addMany(makeActivities(3));
    await eventually(() => heard.some((event) => event.key === 'notification_feed:7'));
    await eventually(() => heard.at(-1)?.unseen === 3);
    expect(heard.at(-1)).toMatchObject({ key: 'notification_feed:7', unseen: 3, unread: 3 });
    await define(writing).for(7).markAll();
    await eventually(() => heard.at(-1)?.unseen === 0);
    expect(heard.at(-1)).toMatchObject({ key: 'notification_feed:7', unseen: 0, unread: 3 });
    await stop();
  });

  it('keeps listening after its connection is killed', async () => {
    const heard: MarkerEvent[] = [];
    const stop = await listening!
      .markerStorage({ name: 'n' })
      .subscribe((event) => heard.push(event));
    const killed = await pools[1].query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE pid <> pg_backend_pid() AND query LIKE 'LISTEN "${schema}.marker_counts"'`,
    );
    expect(killed.rowCount).toBeGreaterThanOrEqual(1);
    const markers = writing!.markerStorage({ name: 'n' });
    await eventually(async () => {
      await markers.update('notification_feed:8', { add: { unseen: [String(Date.now())] } }, 1);
      return heard.length > 0;
    }, 10_000);
    expect(heard.at(-1)).toEqual({ key: 'notification_feed:8', unseen: 1, unread: 0 });
    await stop();
  });
});
