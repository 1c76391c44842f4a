import { InvalidArgumentError } from '@sf/activity';
import type { InvalidArgumentSubclassOptions } from '@sf/activity';

/**
 * A feed definition got an option it cannot work with (`options.maxLength`, `options.keyFormat`,
 * ...). Thrown when the feed is defined, never at its first read or write.
 */
export class InvalidFeedOptionError extends InvalidArgumentError {
  constructor(message: string, options: InvalidArgumentSubclassOptions) {
    super(message, { ...options, code: 'SF_INVALID_FEED_OPTION' });
  }
}

/**
 * A read got a page, filter or order it cannot run (`query.offset`, `query.limit`,
 * `filter.activityIdLt`, `ordering`): from a feed or from a storage backend's timeline.
 */
export class InvalidQueryError extends InvalidArgumentError {
  constructor(message: string, options: InvalidArgumentSubclassOptions) {
    super(message, { ...options, code: 'SF_INVALID_QUERY' });
  }
}
