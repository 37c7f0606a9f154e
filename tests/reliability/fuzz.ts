/**
 * Seeded hostile payloads for the IPC fuzz test: wrong types, huge strings and arrays, deep
 * nesting, prototype-pollution keys, path traversal and injection strings. The same seed gives
 * the same sequence, so a failure names its seed and index and can be replayed.
 *
 * Paths are chosen so that a payload the contract accepts cannot touch the machine: absolute
 * ones name files or places nobody can create folders in; relative ones resolve under the
 * test's working folder, which the test moves into a deep temp folder first.
 */
import type { z } from 'zod';
import { contract, type Channel } from '../../common/contract';
import { SeededRng } from '../../common/metrics/rng';

export const TRAVERSAL = [
  '../../../../../../../../etc/passwd',
  '..',
  '../..',
  './',
  '..%2f..%2f..%2fetc%2fpasswd',
  '%2e%2e/%2e%2e/etc/passwd',
  '..\\..\\..\\windows\\win.ini',
  'C:\\Windows\\System32\\config\\SAM',
  '\\\\server\\share\\x',
  'file:///etc/passwd',
  '~/.ssh/id_rsa',
  '/etc/passwd',
  '/etc/shadow',
  '/proc/self/environ',
  '/proc/nonexistent/deeper',
  '/dev/null',
  '/dev/null/x',
  'a\0b',
  '/etc/passwd\0.png',
];

const HUGE = 'x'.repeat(1 << 20);
const LONG = 'é'.repeat(5000);

const STRINGS = [
  '',
  ' ',
  '\t\n',
  'a',
  LONG,
  HUGE,
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '<script>alert(1)</script>',
  "'; DROP TABLE frames; --",
  '\u202e\u0000\uffff',
  '\ud800',
  '💥'.repeat(50),
  'NaN',
  '1',
  '-1',
  '1e309',
  'sim',
  'dashcam',
  'estimate',
  'uniform',
  'csv',
  'cuda',
  ...TRAVERSAL,
];

const NUMBERS = [0, -0, 1, 2, 3, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, 1e308, -1e308, 5e-324];

/** Keys that would reach Object.prototype if anything merged a payload naively. */
const POLLUTERS: readonly string[] = [
  '{"__proto__": {"polluted": "yes"}}',
  '{"constructor": {"prototype": {"polluted": "yes"}}}',
  '{"__proto__": {"toString": "no"}, "a": 1}',
  '{"prototype": {"polluted": "yes"}}',
];

export class HostileGenerator {
  private readonly rng: SeededRng;

  constructor(readonly seed: number) {
    this.rng = new SeededRng(seed);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.rng.below(items.length)]!;
  }

  chance(p: number): boolean {
    return this.rng.next() < p;
  }

  /** Anything a caller might send, valid or not. */
  value(depth = 0): unknown {
    const kind = this.rng.below(depth > 2 ? 4 : 9);
    switch (kind) {
      case 0:
        return this.pick([null, undefined, true, false]);
      case 1:
        return this.pick(NUMBERS);
      case 2:
      case 3:
        return this.pick(STRINGS);
      case 4:
        return Array.from({ length: this.rng.below(4) }, () => this.value(depth + 1));
      case 5:
        return this.pick([new Array(20_000).fill(1), [1, 2], [[1, 2], [3]], new Uint8Array(16), new Date(0), new Map([[1, 2]]), BigInt(1)]);
      case 6:
        return JSON.parse(this.pick(POLLUTERS)) as unknown;
      case 7:
        return nested(this.pick([2, 50, 5000]));
      default: {
        const out: Record<string, unknown> = {};
        for (let i = this.rng.below(4); i > 0; i--) out[this.pick(STRINGS).slice(0, 30)] = this.value(depth + 1);
        return out;
      }
    }
  }

  /**
   * A payload for `channel`: usually its own keys with hostile values (so the schema is what
   * stops it), sometimes an extra polluting key, sometimes not an object at all.
   */
  payload(channel: Channel): unknown {
    const roll = this.rng.next();
    if (roll < 0.15) return this.value();
    if (roll < 0.25) return JSON.parse(this.pick(POLLUTERS)) as unknown;
    const keys = requestKeys(channel);
    const out: Record<string, unknown> = {};
    for (const key of keys) if (this.chance(0.8)) out[key] = this.fieldValue(key);
    if (this.chance(0.3)) Object.assign(out, JSON.parse(this.pick(POLLUTERS)) as object);
    return out;
  }

  /** Values shaped like the field (ids, paths, names), so some payloads pass and reach a handler. */
  private fieldValue(key: string): unknown {
    if (this.chance(0.5)) return this.value();
    if (/Id$/.test(key)) return this.pick([1, 2, 3, 999_999, 0, -1, '1', 1.5]);
    if (/path|root|folder|dir/i.test(key)) return this.pick(TRAVERSAL);
    if (key === 'mask') return { width: this.pick([1, 8, 9000]), height: this.pick([1, 6]), data: this.pick(['', 'eJw=', HUGE, '%%%']) };
    if (key === 'modelIds' || key === 'pair') return this.pick([[1], [1, 2], [], [1, 1], new Array(100).fill(1)]);
    return this.value();
  }
}

function nested(depth: number): unknown {
  let out: unknown = 'deep';
  for (let i = 0; i < depth; i++) out = { a: out };
  return out;
}

function requestKeys(channel: Channel): string[] {
  const schema = contract[channel].request as unknown as z.ZodObject;
  return Object.keys(schema.shape ?? {});
}

export function preview(value: unknown): string {
  try {
    const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    return text === undefined ? String(value) : text.length > 120 ? `${text.slice(0, 120)}…` : text;
  } catch {
    // An own `toString` that is not a function (a hostile key) breaks String(value) too.
    return Object.prototype.toString.call(value);
  }
}
