import { InvalidArgumentError } from '@sf/activity';

/**
 * A configuration the server cannot start with (file, field or environment variable). `path`
 * is the field (`feeds[0].keyFormat`), the environment variable (`PORT`) or `configFile`;
 * `value` is what was given, left out where it could be an API key.
 */
export class ConfigError extends InvalidArgumentError {
  constructor(message: string, options: { path: string; value?: unknown; cause?: unknown }) {
    super(message, { ...options, code: 'SF_STREAM_SERVER_CONFIG' });
  }
}
