import type { LimitsConfig } from './types.js';

export const defaultLimits: LimitsConfig = {
  bodyBytes: 64 * 1024,
  rpcBodyBytes: 1024 * 1024,
  rpcBatch: 100,
  pageSize: 1000,
  filterValues: 100,
  feedPage: 100,
  jsonDepth: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  connectionsPerClient: 64,
};
