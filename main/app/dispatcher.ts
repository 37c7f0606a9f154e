import { contract, isChannel, type Channel, type ReplyOf, type WireResult } from '../../common/contract';
import { AppError } from '../../common/errors';
import { isDiskFull } from '../services/safeWrite';

import type { z } from 'zod';

type RequestParsed<C extends Channel> = z.output<(typeof contract)[C]['request']>;
export type Handlers = { [C in Channel]: (request: RequestParsed<C>) => Promise<ReplyOf<C>> | ReplyOf<C> };

const MAX_ISSUE_TEXT = 300;

/**
 * The single entry for every request, from either transport: it checks the channel,
 * validates the payload, runs the handler, validates the reply and turns every failure
 * into a typed error value. Nothing thrown here escapes to the transport.
 */
export class Dispatcher {
  constructor(
    private readonly handlers: Handlers,
    private readonly onInternalError: (channel: string, err: unknown) => void = () => {},
  ) {}

  async dispatch(channel: unknown, payload: unknown): Promise<WireResult<unknown>> {
    if (!isChannel(channel)) {
      return fail('UNKNOWN_CHANNEL', `unknown channel ${describe(channel)}`);
    }
    const spec = contract[channel];
    const parsed = spec.request.safeParse(payload ?? {});
    if (!parsed.success) {
      const detail = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`)
        .join('; ');
      return fail('BAD_REQUEST', `${channel}: ${detail}`.slice(0, MAX_ISSUE_TEXT));
    }
    try {
      const handler = this.handlers[channel] as (request: unknown) => unknown;
      const value = await handler(parsed.data);
      const reply = spec.reply.safeParse(value);
      if (!reply.success) {
        this.onInternalError(channel, reply.error);
        return fail('INTERNAL', `${channel}: the backend produced a reply that breaks the contract`);
      }
      return { ok: true, value: reply.data };
    } catch (err) {
      if (err instanceof AppError) return fail(err.code, err.message);
      // SQLite's "database or disk is full" and a raw ENOSPC are the user's to fix, not our bug.
      if (isCorrupt(err)) return fail('PROJECT_CORRUPT', `${channel}: the project database is damaged (${(err as Error).message}); restore project.sqlite from a backup`.slice(0, MAX_ISSUE_TEXT));
      if (isDiskFull(err)) return fail('DISK_FULL', `${channel}: the disk holding the project is full (${(err as Error).message}); free some space and try again`.slice(0, MAX_ISSUE_TEXT));
      this.onInternalError(channel, err);
      return fail('INTERNAL', `${channel}: ${err instanceof Error ? err.message : String(err)}`.slice(0, MAX_ISSUE_TEXT));
    }
  }
}

function fail(code: AppError['code'], message: string): WireResult<never> {
  return { ok: false, error: { code, message } };
}

/** Damage found after opening (the open-time check passed, or the file changed on disk since). */
function isCorrupt(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 60));
  return typeof value;
}
