// The configuration: its types, defaults, parsing of the file and the environment.
export type * from './config/types.js';
export { defaultLimits } from './config/defaults.js';
export { ConfigError } from './config/error.js';
export { hashKey, parseConfig } from './config/parse.js';
export { apiKeyTable, applyEnvironment, loadConfig } from './config/load.js';
