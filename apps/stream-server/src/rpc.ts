import type { Tenant } from './backend.js';
import type { Principal } from './auth.js';
import { ApiError, toErrorBody } from './errors.js';
import type { Operation, Operations } from './operations.js';
import { checkRequestJson } from './request-json.js';
import type { JsonSchema, ValidationIssue } from './schemas.js';
import { describeIssues } from './schemas.js';

/** JSON-RPC 2.0 error codes: the standard ones and this server's (-32000 to -32099). */
export const RpcErrorCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  SERVER_ERROR: -32000,
  UNAUTHORIZED: -32001,
  FORBIDDEN: -32003,
  NOT_FOUND: -32004,
  TOO_LARGE: -32013,
} as const;

export type RpcId = string | number | null;

export interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

export type RpcResponse =
  { jsonrpc: '2.0'; id: RpcId; result: unknown } | { jsonrpc: '2.0'; id: RpcId; error: RpcError };

export type Validator = ((data: unknown) => boolean) & { errors?: ValidationIssue[] | null };

export interface RpcContext {
  operations: Operations;
  principal: Principal;
  tenant: Tenant;
  maxBatch: number;
  /** limits.jsonDepth: the deepest nesting of a param (checked like REST bodies). */
  maxDepth: number;
  /** A compiled validator for a params schema (cached by the caller). */
  compile(schema: JsonSchema): Validator;
  /** Reports unexpected errors (500s). */
  onError(error: unknown): void;
}

const failure = (id: RpcId, code: number, message: string, data?: unknown): RpcResponse => ({
  jsonrpc: '2.0',
  id,
  error: data === undefined ? { code, message } : { code, message, data },
});

function validId(id: unknown): id is RpcId {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

/** An API error as a JSON-RPC error: 400s are invalid params, other codes keep theirs in `data`. */
function toRpcError(error: unknown, ctx: RpcContext): RpcError {
  const body = toErrorBody(error);
  if (body.statusCode >= 500 && !(error instanceof ApiError)) ctx.onError(error);
  // Extra fields of the error body (e.g. PUBLISH_INCOMPLETE's id and activity) go into data.
  const { statusCode, error: _reason, code, message: _message, ...details } = body;
  const data = { ...details, status: statusCode, code };
  switch (body.statusCode) {
    case 400:
      return { code: RpcErrorCode.INVALID_PARAMS, message: body.message, data };
    case 401:
      return { code: RpcErrorCode.UNAUTHORIZED, message: body.message, data };
    case 403:
      return { code: RpcErrorCode.FORBIDDEN, message: body.message, data };
    case 404:
      return { code: RpcErrorCode.NOT_FOUND, message: body.message, data };
    case 413:
      return { code: RpcErrorCode.TOO_LARGE, message: body.message, data };
    case 500:
      // "internal error" unless the error is a typed one (e.g. CORRUPT_STORAGE naming the key).
      return { code: RpcErrorCode.INTERNAL_ERROR, message: body.message, data };
    default:
      return { code: RpcErrorCode.SERVER_ERROR, message: body.message, data };
  }
}

/** Named params from an array (by the method's parameter order) or an object. */
function namedParams(operation: Operation, params: unknown): Record<string, unknown> | string {
  if (params === undefined) return {};
  if (Array.isArray(params)) {
    if (params.length > operation.positional.length) {
      return `${operation.method} takes at most ${operation.positional.length} positional params (${operation.positional.join(', ')}), got ${params.length}`;
    }
    const named: Record<string, unknown> = {};
    params.forEach((value, i) => {
      if (value !== undefined) named[operation.positional[i]!] = value;
    });
    return named;
  }
  return { ...(params as Record<string, unknown>) };
}

async function runOne(request: unknown, ctx: RpcContext): Promise<RpcResponse | null> {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    return failure(
      null,
      RpcErrorCode.INVALID_REQUEST,
      'a request must be an object { jsonrpc: "2.0", method, params?, id? }',
    );
  }
  const { jsonrpc, method, params } = request as Record<string, unknown>;
  const hasId = Object.hasOwn(request, 'id');
  const rawId = (request as Record<string, unknown>).id;
  const id: RpcId = hasId && validId(rawId) ? rawId : null;
  if (jsonrpc !== '2.0') return failure(id, RpcErrorCode.INVALID_REQUEST, 'jsonrpc must be "2.0"');
  if (typeof method !== 'string')
    return failure(id, RpcErrorCode.INVALID_REQUEST, 'method must be a string');
  if (hasId && !validId(rawId))
    return failure(null, RpcErrorCode.INVALID_REQUEST, 'id must be a string, a number or null');
  if (params !== undefined && (typeof params !== 'object' || params === null)) {
    return failure(id, RpcErrorCode.INVALID_REQUEST, 'params must be an array or an object');
  }
  const respond = (response: RpcResponse): RpcResponse | null => (hasId ? response : null);

  const operation = ctx.operations.byMethod.get(method);
  if (!operation) {
    const methods = [...ctx.operations.byMethod.keys()].join(', ');
    return respond(
      failure(
        id,
        RpcErrorCode.METHOD_NOT_FOUND,
        `method ${JSON.stringify(method)} not found; methods: ${methods}`,
      ),
    );
  }
  if (operation.access === 'write' && ctx.principal.access !== 'write') {
    return respond(
      failure(id, RpcErrorCode.FORBIDDEN, `${method} needs a write API key; this key is read-only`),
    );
  }
  const named = namedParams(operation, params);
  if (typeof named === 'string') return respond(failure(id, RpcErrorCode.INVALID_PARAMS, named));
  try {
    // The check of REST bodies, on each param (`named` is the level above them).
    checkRequestJson(named, ctx.maxDepth, 'params', 0);
  } catch (error) {
    return respond({ jsonrpc: '2.0', id, error: toRpcError(error, ctx) });
  }
  const validate = ctx.compile(operation.params);
  if (!validate(named)) {
    const issues = validate.errors ?? [];
    return respond(
      failure(id, RpcErrorCode.INVALID_PARAMS, describeIssues(issues, 'params'), {
        errors: issues.map((issue) => ({
          path: issue.instancePath,
          keyword: issue.keyword,
          message: issue.message,
        })),
      }),
    );
  }
  try {
    const result = await operation.run(ctx.tenant, named);
    return respond({ jsonrpc: '2.0', id, result });
  } catch (error) {
    return respond({ jsonrpc: '2.0', id, error: toRpcError(error, ctx) });
  }
}

/**
 * Runs a JSON-RPC 2.0 body (a single request or a batch, run in order). Returns the response
 * text, or null when nothing is to be returned (only notifications).
 */
export async function runRpc(text: string, ctx: RpcContext): Promise<string | null> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return JSON.stringify(
      failure(null, RpcErrorCode.PARSE_ERROR, 'parse error: the body is not valid JSON'),
    );
  }
  if (Array.isArray(body)) {
    if (body.length === 0)
      return JSON.stringify(
        failure(null, RpcErrorCode.INVALID_REQUEST, 'a batch must not be empty'),
      );
    if (body.length > ctx.maxBatch) {
      return JSON.stringify(
        failure(
          null,
          RpcErrorCode.INVALID_REQUEST,
          `a batch may have at most ${ctx.maxBatch} requests, got ${body.length}`,
        ),
      );
    }
    const responses: RpcResponse[] = [];
    for (const request of body) {
      const response = await runOne(request, ctx);
      if (response) responses.push(response);
    }
    return responses.length > 0 ? JSON.stringify(responses) : null;
  }
  const response = await runOne(body, ctx);
  return response ? JSON.stringify(response) : null;
}
