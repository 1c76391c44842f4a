import type { FastifyInstance } from 'fastify';
import * as actions from '../actions.js';
import { badRequest, formFields, parseText, safeNext } from '../validation.js';
import type { RouteContext } from './context.js';

export const USER_COOKIE = 'sf_user';

const cookieOptions = {
  signed: true,
  httpOnly: true,
  sameSite: 'lax',
  path: '/',
  maxAge: 30 * 24 * 3600,
} as const;

/** Who are you: act as an existing user (a signed cookie), or join as a new one. */
export function registerSessionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { runtime, store } = ctx;

  app.post('/switch', async (request, reply) => {
    const fields = formFields(request.body);
    const user = await ctx.loadUser(fields.userId);
    reply.setCookie(USER_COOKIE, String(user.id), cookieOptions);
    await store.touch(user.id, Date.now());
    const next = safeNext(fields.next, '/');
    return reply.redirect(next === '/switch' ? '/' : next, 303);
  });

  app.post('/join', async (request, reply) => {
    const fields = formFields(request.body);
    const name = parseText(fields.name, 'name', { min: 2, max: 40 });
    let handle: string;
    if (typeof fields.handle === 'string' && fields.handle.trim() !== '') {
      handle = fields.handle.trim().toLowerCase();
      if (!/^[a-z0-9_]{3,20}$/.test(handle))
        throw badRequest('A handle is 3 to 20 lowercase letters, digits or underscores.');
    } else {
      const base =
        name
          .toLowerCase()
          .normalize('NFKD')
          .replace(/[^a-z0-9]+/g, '')
          .slice(0, 14) || 'pinner';
      handle = base.length >= 3 ? base : `${base}_pins`;
      for (let i = 2; await store.findUserByHandle(handle); i++)
        handle = `${base.slice(0, 14)}${i}`;
    }
    const user = await actions.createUser(runtime, name, handle, Math.floor(Math.random() * 360));
    await store.createBoard({ userId: user.id, name: 'My pins', createdAt: Date.now() });
    ctx.forgetUsers();
    reply.setCookie(USER_COOKIE, String(user.id), cookieOptions);
    return reply.redirect('/people', 303);
  });
}
