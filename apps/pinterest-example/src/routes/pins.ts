import type { FastifyInstance } from 'fastify';
import * as actions from '../actions.js';
import { PATTERNS } from '../store.js';
import type { Pattern, Pin } from '../store.js';
import {
  HttpError,
  badRequest,
  forbidden,
  formFields,
  notFound,
  parseChoice,
  parseId,
  parseInteger,
  parseText,
  safeNext,
} from '../validation.js';
import * as views from '../views/index.js';
import type { RouteContext } from './context.js';
import { afterForm, requireUser, sendPage, wantsJson } from './page.js';

/** Pins and boards: the new-pin form, a pin's page, love and delete, a board's page. */
export function registerPinRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { runtime, store, pageSize } = ctx;

  app.get('/pins/new', async (request, reply) => {
    const user = requireUser(request);
    const query = request.query as Record<string, unknown>;
    const boards = await store.listBoards(user.id);
    const boardId = query.board === undefined ? undefined : parseId(query.board, 'board id');
    return sendPage(
      reply,
      views.newPinPage(await ctx.pageContext(request), { boards, values: { boardId } }),
    );
  });

  app.post('/pins', async (request, reply) => {
    const user = requireUser(request);
    const fields = formFields(request.body);
    const boards = await store.listBoards(user.id);
    const hueRaw = typeof fields.hue === 'string' ? fields.hue : undefined;
    const values = {
      title: typeof fields.title === 'string' ? fields.title.slice(0, 200) : undefined,
      boardId:
        typeof fields.boardId === 'string' && /^\d{1,10}$/.test(fields.boardId)
          ? Number(fields.boardId)
          : undefined,
      pattern: typeof fields.pattern === 'string' ? fields.pattern : undefined,
      hue: hueRaw && /^\d{1,3}$/.test(hueRaw) ? Number(hueRaw) : undefined,
    };
    let input: actions.NewPin;
    try {
      const title = parseText(fields.title, 'title', { min: 1, max: 80 });
      const boardId = parseId(fields.boardId, 'board id');
      const hue =
        fields.hue === undefined || fields.hue === ''
          ? Math.floor(Math.random() * 360)
          : parseInteger(fields.hue, 'colour', 0, 359);
      const choice = parseChoice(
        fields.pattern,
        'pattern',
        [...PATTERNS, 'random'] as const,
        'random',
      );
      const pattern: Pattern =
        choice === 'random' ? PATTERNS[Math.floor(Math.random() * PATTERNS.length)]! : choice;
      input = { title, boardId, hue, pattern };
      const board = await store.getBoard(boardId);
      if (!board) throw notFound(`There is no board with id ${boardId}.`);
      if (board.userId !== user.id)
        throw forbidden(
          `The board “${board.name}” belongs to someone else; pick one of your own boards.`,
        );
    } catch (error) {
      if (!(error instanceof HttpError) || wantsJson(request)) throw error;
      const page = await ctx.pageContext(request);
      return sendPage(
        reply,
        views.newPinPage(page, { boards, values, error: error.message }),
        error.statusCode,
      );
    }
    const { pin } = await actions.createPin(runtime, user, input);
    return afterForm(request, reply, `/pins/${pin.id}`, { pin: pin.id });
  });

  app.post('/boards', async (request, reply) => {
    const user = requireUser(request);
    const fields = formFields(request.body);
    let name: string;
    try {
      name = parseText(fields.name, 'board name', { min: 1, max: 40 });
      const board = await actions.createBoard(runtime, user, name);
      return afterForm(request, reply, `/pins/new?board=${board.id}`, { board: board.id });
    } catch (error) {
      if (!(error instanceof HttpError) || wantsJson(request)) throw error;
      const boards = await store.listBoards(user.id);
      const page = await ctx.pageContext(request);
      const newBoard = typeof fields.name === 'string' ? fields.name.slice(0, 60) : undefined;
      return sendPage(
        reply,
        views.newPinPage(page, { boards, values: { newBoard }, error: error.message }),
        error.statusCode,
      );
    }
  });

  app.get('/pins/:pinId', async (request, reply) => {
    const pin = await ctx.loadPin((request.params as { pinId: string }).pinId);
    const [view] = await ctx.pinViews([pin.id], request.user);
    return sendPage(reply, views.pinPage(await ctx.pageContext(request), view!));
  });

  app.post('/pins/:pinId/love', async (request, reply) => {
    const user = requireUser(request);
    const pin = await ctx.loadPin((request.params as { pinId: string }).pinId);
    const fields = formFields(request.body);
    await actions.love(runtime, user, pin);
    const next = safeNext(fields.next, `/pins/${pin.id}`);
    const count = (await store.loveCounts([pin.id])).get(pin.id) ?? 0;
    return afterForm(request, reply, next, {
      loves: count,
      html: views.loveButton(pin, count, true, true, next).value,
    });
  });

  app.post('/pins/:pinId/title', async (request, reply) => {
    const user = requireUser(request);
    const pinId = parseId((request.params as { pinId: string }).pinId, 'pin id');
    const title = parseText(formFields(request.body).title, 'title', { min: 1, max: 80 });
    const pin = await actions.renamePin(runtime, user, pinId, title);
    return afterForm(request, reply, `/pins/${pin.id}`, { pin: pin.id, title: pin.title });
  });

  app.post('/pins/:pinId/delete', async (request, reply) => {
    const user = requireUser(request);
    const pinId = parseId((request.params as { pinId: string }).pinId, 'pin id');
    await actions.deletePin(runtime, user, pinId);
    return afterForm(request, reply, `/u/${user.id}`);
  });

  app.get('/boards/:boardId', async (request, reply) => {
    const id = parseId((request.params as { boardId: string }).boardId, 'board id');
    const board = await store.getBoard(id);
    if (!board) throw notFound(`There is no board with id ${id}.`);
    const query = request.query as Record<string, unknown>;
    let before: Pin | undefined;
    if (query.before !== undefined) {
      const cursorId = parseId(query.before, 'pin id of the cursor');
      before = await store.getPin(cursorId);
      if (!before || before.boardId !== board.id)
        throw badRequest(`Pin ${cursorId} is not on this board.`);
    }
    const [pins, owner, counts] = await Promise.all([
      store.listBoardPins(board.id, { limit: pageSize, before }),
      store.getUser(board.userId),
      store.countBoardPins([board.id]),
    ]);
    const pinList = await ctx.pinViews(
      pins.map((p) => p.id),
      request.user,
    );
    const cursor = pins.length === pageSize ? String(pins[pins.length - 1]!.id) : null;
    return sendPage(
      reply,
      views.boardPage(
        await ctx.pageContext(request),
        board,
        owner,
        pinList,
        cursor,
        counts.get(board.id) ?? 0,
      ),
    );
  });
}
