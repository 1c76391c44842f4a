import { readFileSync } from 'node:fs';

const dir = new URL('./fixtures/', import.meta.url);

export interface VectorActivity {
  actor_id: number;
  verb_id: number;
  object_id: number;
  target_id: number | null;
  time: string;
  epoch: number;
  extra_context: Record<string, unknown>;
  serialization_id: string;
  activity_serializer: string;
  pickle_protocol_0: string;
  pickle_protocol_2: string;
}

export interface VectorAggregated {
  group: string;
  activity_serialization_ids: string[];
  created_at: string;
  updated_at: string;
  seen_at: string | null;
  read_at: string | null;
  serialization_id: string;
  minimized_activities: number;
  aggregated_activity_serializer: string;
  notification_serializer: string;
}

/** `sf-serialization.json`: written by Python Stream Framework 1.4.0 (see /work/shared/vectors/README.md). */
export const vectors = JSON.parse(readFileSync(new URL('sf-serialization.json', dir), 'utf8')) as {
  activities: VectorActivity[];
  recent_verb_aggregated: VectorAggregated[];
};

/** `sf-redis-scenario.json`: Redis contents after a Python run; string values are raw bytes as latin1. */
export const redisScenario = JSON.parse(
  readFileSync(new URL('sf-redis-scenario.json', dir), 'utf8'),
) as {
  keys: Record<string, { type: string; value: unknown }>;
};

/** Python wrote each value as the UTF-8 of its latin1 text: undo that to get the serializer string. */
export function redisText(raw: string): string {
  return Buffer.from(raw, 'latin1').toString('utf8');
}

export interface PickleCase {
  name: string;
  json: string;
  p0: string;
  p1: string;
  p2: string;
  p3: string;
  p4: string;
  p5: string;
}

/** `pickle-cases.json`, written by `generate-pickle-cases.py` with CPython 3.11. */
export const pickleCases = JSON.parse(
  readFileSync(new URL('pickle-cases.json', dir), 'utf8'),
) as PickleCase[];

/** The value of a pickle case (ints beyond 2**53 as bigint, non-finite floats as numbers). */
export function caseValue(json: string): unknown {
  return JSON.parse(json, (_key, value: unknown) => {
    if (typeof value === 'string' && value.startsWith('BIG:')) return BigInt(value.slice(4));
    if (typeof value === 'string' && value.startsWith('FLOAT:'))
      return Number(value.slice(6).replace('inf', 'Infinity'));
    return value;
  });
}

/** Python's latin1 text of pickle bytes -> the bytes. */
export function latin1(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'latin1'));
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
