import { InvalidArgumentError } from '@sf/activity';
import type { Activity } from '@sf/activity';
import { indexedValuesOf } from '@sf/feeds/backend';
import type { TimelineDimension, TimelineIndex, TimelineWhere } from '@sf/feeds/backend';
import { integerOf } from './codec.js';
import type { TableHandle } from './context.js';
import { rangeCql } from './query.js';
import type { IdRange } from './query.js';
import type { CassandraSession, RunOptions, Statement } from './session.js';

/** The clustering `dimension` of the marker rows (`#` sorts before letters: first in the partition). */
export const MARKER_DIMENSION = '#indexed';

/** One index row of an entry: its dimension (`verb`, `field:<name>`) and value. */
export interface IndexPair {
  dimension: string;
  value: string;
}

/** The CQL of one index table, built once. */
export interface IndexStatements {
  insert: string;
  deleteRow: string;
  deleteFeed: string;
  markers: string;
  rowsOfFeed: string;
  pageDesc: Map<string, string>;
  pageAsc: Map<string, string>;
  countBy: string;
}

/**
 * The write-time indexes of one flat feed definition on Cassandra (see `timelineIndexTableSpec`
 * and the README): which rows an entry has, the statements that write and delete them (the
 * timeline storage batches them with the timeline rows of the same feed), and the reads of
 * filtered pages and counts.
 *
 * A feed's marker rows (`#indexed`, one per dimension) say that every entry of the feed is in
 * that dimension's index: written with the first write into an empty feed, or by
 * `rebuildIndexes`, and dropped with the feed. Reads of a feed without the marker scan its
 * timeline instead (entries written before the index was declared are never missed).
 */
/** One statement per index row of an entry: `query` takes (feed, dimension, value, id). */
function rowStatements(query: string, feedId: string, id: string, pairs: IndexPair[]): Statement[] {
  return pairs.map((pair) => ({ query, params: [feedId, pair.dimension, pair.value, id] }));
}

export class TimelineIndexer {
  readonly index: TimelineIndex;
  readonly table: TableHandle;
  readonly #session: CassandraSession;
  /** The dimensions this definition indexes, as stored (`verb`, `field:board`). */
  readonly dimensions: string[];
  #statements: Promise<IndexStatements> | undefined;

  constructor(index: TimelineIndex, table: TableHandle, session: CassandraSession) {
    this.index = index;
    this.table = table;
    this.#session = session;
    this.dimensions = [
      ...(index.verb ? ['verb'] : []),
      ...(index.field !== null ? [`field:${index.field}`] : []),
    ];
  }

  /** The stored dimension of a contract dimension. */
  dimensionOf(dimension: TimelineDimension): string {
    if (dimension === 'verb' && this.index.verb) return 'verb';
    if (dimension === 'field' && this.index.field !== null) return `field:${this.index.field}`;
    throw new InvalidArgumentError(
      `this timeline does not index ${JSON.stringify(dimension)} (index: ${JSON.stringify(this.index)})`,
      { path: 'dimension', value: dimension },
    );
  }

  /** The index rows of an activity (none for a dimension it has no value in). */
  pairsOf(activity: Activity): IndexPair[] {
    return this.pairsOfValues(indexedValuesOf(activity, this.index));
  }

  pairsOfValues(values: { verb?: number | undefined; field?: string | undefined }): IndexPair[] {
    const pairs: IndexPair[] = [];
    if (this.index.verb && values.verb !== undefined)
      pairs.push({ dimension: 'verb', value: String(values.verb) });
    if (this.index.field !== null && values.field !== undefined)
      pairs.push({ dimension: `field:${this.index.field}`, value: values.field });
    return pairs;
  }

  /**
   * The index partitions a filtered read could page through, best first: the field's (usually
   * the more selective) when the filter has a field value, then the verb's. The read uses the
   * first one the feed is marked for (`markers`), and scans the timeline when there is none.
   */
  candidates(where: TimelineWhere): IndexPair[] {
    const pairs: IndexPair[] = [];
    if (where.field !== undefined && this.index.field !== null)
      pairs.push({ dimension: `field:${this.index.field}`, value: where.field });
    if (where.verb !== undefined && this.index.verb)
      pairs.push({ dimension: 'verb', value: String(where.verb) });
    return pairs;
  }

  async ready(): Promise<IndexStatements> {
    this.#statements ??= this.table
      .layout()
      .then((layout) => {
        const t = layout.cql;
        const page = (order: 'asc' | 'desc') =>
          new Map(
            ['', 'l', 'u', 'lu'].map((shape) => [
              shape,
              // Equality on dimension and value: ordering by activity_id alone orders the slice.
              `SELECT activity_id FROM ${t} WHERE feed_id = ? AND dimension = ? AND value = ?${shape.includes('l') ? ' AND activity_id >%L ?' : ''}${shape.includes('u') ? ' AND activity_id <%U ?' : ''} ORDER BY activity_id ${order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`,
            ]),
          );
        return {
          insert: `INSERT INTO ${t} (feed_id, dimension, value, activity_id) VALUES (?, ?, ?, ?)`,
          deleteRow: `DELETE FROM ${t} WHERE feed_id = ? AND dimension = ? AND value = ? AND activity_id = ?`,
          deleteFeed: `DELETE FROM ${t} WHERE feed_id = ?`,
          rowsOfFeed: `SELECT dimension, value, activity_id FROM ${t} WHERE feed_id = ?`,
          markers: `SELECT value FROM ${t} WHERE feed_id = ? AND dimension = '${MARKER_DIMENSION}'`,
          pageDesc: page('desc'),
          pageAsc: page('asc'),
          countBy: `SELECT value, COUNT(*) AS n FROM ${t} WHERE feed_id = ? AND dimension = ? GROUP BY dimension, value`,
        };
      })
      .catch((error: unknown) => {
        this.#statements = undefined;
        throw error;
      });
    return this.#statements;
  }

  insertsOf(
    statements: IndexStatements,
    feedId: string,
    id: string,
    pairs: IndexPair[],
  ): Statement[] {
    return rowStatements(statements.insert, feedId, id, pairs);
  }

  deletesOf(
    statements: IndexStatements,
    feedId: string,
    id: string,
    pairs: IndexPair[],
  ): Statement[] {
    return rowStatements(statements.deleteRow, feedId, id, pairs);
  }

  /** The marker rows of every dimension: the feed's entries are all in the indexes. */
  markersOf(statements: IndexStatements, feedId: string): Statement[] {
    return this.dimensions.map((dimension) => ({
      query: statements.insert,
      params: [feedId, MARKER_DIMENSION, dimension, '0'],
    }));
  }

  deleteFeed(statements: IndexStatements, feedId: string): Statement {
    return { query: statements.deleteFeed, params: [feedId] };
  }

  /** The dimensions the feed is marked for. */
  async markers(feedId: string, options: RunOptions): Promise<Set<string>> {
    const statements = await this.ready();
    const result = await this.#session.execute(statements.markers, [feedId], options);
    return new Set(result.rows.map((row) => String(row.value)));
  }

  /** Ids of one page of an index partition, in the read's order. */
  pageCql(
    statements: IndexStatements,
    range: IdRange,
    order: 'asc' | 'desc',
  ): { cql: string; params: string[] } {
    const shape = `${range.lower ? 'l' : ''}${range.upper ? 'u' : ''}`;
    const template = (order === 'asc' ? statements.pageAsc : statements.pageDesc).get(shape)!;
    const cql = template
      .replace('%L', range.lower?.inclusive ? '=' : '')
      .replace('%U', range.upper?.inclusive ? '=' : '');
    return { cql, params: rangeCql(range).params };
  }

  /** Entries per value of a marked dimension: one `GROUP BY` over the feed's index rows. */
  countOf(rows: ReadonlyArray<{ value: unknown; n: unknown }>): Map<string, number> {
    const counts = new Map<string, number>();
    for (const row of rows) {
      const n = integerOf(row.n, 'count');
      if (n > 0) counts.set(String(row.value), n);
    }
    return counts;
  }
}
