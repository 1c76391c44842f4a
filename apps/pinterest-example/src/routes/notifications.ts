import type { NotificationActivity } from '@sf/activity';
import type { FastifyInstance } from 'fastify';
import { Love } from '../feeds.js';
import type { User } from '../store.js';
import { formFields, parseActivityId, parseChoice, safeNext } from '../validation.js';
import * as views from '../views/index.js';
import type { NotificationView } from '../views/index.js';
import type { RouteContext } from './context.js';
import { afterForm, requireUser, sendPage } from './page.js';

/** The notification feed and its seen/read markers (the live counts are in live.ts). */
export function registerNotificationRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;
  const { feeds } = ctx.runtime;

  app.get('/notifications', async (request, reply) => {
    const user = requireUser(request);
    const feed = feeds.notification.for(user.id);
    const [items, counts] = await Promise.all([feed.get({ limit: 50 }), feed.counts()]);
    const actorIds = new Set<number>();
    const pinIds = new Set<number>();
    for (const item of items) {
      for (const activity of item.lastActivities) actorIds.add(Number(activity.actorId));
      if (item.verbs[0]?.id === Love.id) for (const id of item.objectIds) pinIds.add(Number(id));
    }
    const [users, pins] = await Promise.all([
      store.getUsers([...actorIds]),
      store.getPins([...pinIds]),
    ]);
    const notificationViews: NotificationView[] = items.map((item: NotificationActivity) => ({
      item,
      actors: [...new Set(item.lastActivities.map((a) => Number(a.actorId)))]
        .map((id) => users.get(id))
        .filter((u): u is User => u !== undefined),
      pin: item.verbs[0]?.id === Love.id ? pins.get(Number(item.objectIds[0] ?? 0)) : undefined,
    }));
    const page = await ctx.pageContext(request);
    page.unseen = counts.unseen;
    return sendPage(reply, views.notificationsPage(page, notificationViews, counts));
  });

  app.post('/notifications/mark-all', async (request, reply) => {
    const user = requireUser(request);
    const fields = formFields(request.body);
    const what = parseChoice(fields.what, 'mark', ['seen', 'read'] as const, 'seen');
    const counts = await feeds.notification
      .for(user.id)
      .markAll({ seen: true, read: what === 'read' });
    return afterForm(request, reply, '/notifications', { counts });
  });

  app.post('/notifications/read', async (request, reply) => {
    const user = requireUser(request);
    const fields = formFields(request.body);
    const id = parseActivityId(fields.id);
    const counts = await feeds.notification
      .for(user.id)
      .markActivity(id, { seen: true, read: true });
    return afterForm(request, reply, safeNext(fields.next, '/notifications'), { counts });
  });
}
