import { describe, expect, it } from 'vitest';
import { memoryStorage } from '@sf/storage-memory';
import { Pinterest } from './pinterest.js';

describe('demo Pinterest', () => {
  it('fans pins out to followers and notifies on follow and love', async () => {
    const app = new Pinterest(memoryStorage());
    app.addUser(1, 'Ada');
    app.addUser(2, 'Grace');
    app.addUser(3, 'Linus');
    const t = Date.UTC(2026, 0, 1);
    await app.follow(1, 2, t);
    await app.follow(3, 2, t + 1000);
    const pin = await app.pin(2, 500, 20, t + 2000, 'Moss garden');
    await app.love(1, pin, t + 3000);
    expect((await app.feeds.normal.for(1).get()).map((a) => a.objectId)).toEqual([500]);
    expect((await app.feeds.aggregated.for(3).get()).map((a) => a.group)).toEqual(['5-2026-01-01']);
    const notifications = await app.feeds.notification.for(2).get();
    expect(
      notifications.map((n) => app.describe(n.verb, n.actorIds.map(Number), n.activityCount)),
    ).toEqual(['Ada loved your pin', 'Ada and 1 other followed you']);
    expect(await app.feeds.notification.for(2).counts()).toEqual({ unseen: 2, unread: 2 });
  });
});
