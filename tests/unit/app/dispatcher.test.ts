import { describe, expect, it } from 'vitest';
import { AppError } from '../../../common/errors';
import { Dispatcher, type Handlers } from '../../../main/app/dispatcher';

function dispatcherWith(overrides: Partial<Handlers>): Dispatcher {
  const missing = () => {
    throw new Error('not in this test');
  };
  return new Dispatcher(new Proxy(overrides, { get: (t, k) => (t as Record<string | symbol, unknown>)[k] ?? missing }) as Handlers);
}

describe('Dispatcher', () => {
  it('rejects unknown channels with a typed error', async () => {
    const d = dispatcherWith({});
    expect(await d.dispatch('fs:readFile', {})).toEqual({
      ok: false,
      error: { code: 'UNKNOWN_CHANNEL', message: 'unknown channel "fs:readFile"' },
    });
    expect(await d.dispatch({ toString: 'x' }, {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    expect(await d.dispatch('__proto__', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
  });

  it('validates payloads before any handler runs', async () => {
    let called = false;
    const d = dispatcherWith({
      'project:create': () => {
        called = true;
        throw new Error('should not run');
      },
    });
    for (const payload of [null, 42, 'x', { name: '' }, { name: 7 }, { name: 'a', extra: 1 }, { name: 'x'.repeat(201) }]) {
      const result = await d.dispatch('project:create', payload);
      expect(result).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
    expect(called).toBe(false);
  });

  it('passes parsed payloads and validates replies', async () => {
    const d = dispatcherWith({
      'project:rename': ({ name }) => ({ path: '/p', name, schemaVersion: 2, createdAt: 'now' }),
      'project:current': () => ({ path: 42 }) as never,
    });
    expect(await d.dispatch('project:rename', { name: '  Trimmed  ' })).toEqual({
      ok: true,
      value: { path: '/p', name: 'Trimmed', schemaVersion: 2, createdAt: 'now' },
    });
    expect(await d.dispatch('project:current', {})).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
  });

  it('turns thrown errors into typed values', async () => {
    const d = dispatcherWith({
      'project:close': () => {
        throw new AppError('NO_PROJECT', 'No project is open');
      },
      'jobs:list': () => {
        throw new TypeError('boom');
      },
    });
    expect(await d.dispatch('project:close', {})).toEqual({ ok: false, error: { code: 'NO_PROJECT', message: 'No project is open' } });
    expect(await d.dispatch('jobs:list', {})).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'jobs:list: boom' } });
  });
});
