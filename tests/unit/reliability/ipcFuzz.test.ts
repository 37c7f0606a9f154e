/**
 * Thousands of malformed payloads, seeded, to every channel of the dispatcher that Electron IPC
 * and browser mode share: each reply is a value of the contract (a typed error, or an answer when
 * the payload happens to be valid), never a throw, never INTERNAL, and Object.prototype stays clean.
 * Replay a failure with S2R_FUZZ_SEED=<seed> (and S2R_FUZZ_PER_CHANNEL for more payloads).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, WireError, type WireResult } from '../../../common/contract';
import { makeTempDir } from '../../helpers/tempDir';
import { HostileGenerator, preview } from '../../reliability/fuzz';
import { seedProject, startHarness, type Harness } from '../../reliability/harness';

const SEED = Number(process.env.S2R_FUZZ_SEED ?? 20250601);
const PER_CHANNEL = Number(process.env.S2R_FUZZ_PER_CHANNEL ?? 60);

const protoKeys = () => [Object.prototype, Array.prototype, Function.prototype, String.prototype].map((p) => Object.getOwnPropertyNames(p).sort().join(','));

describe(`IPC fuzz (seed ${SEED})`, () => {
  const tmp = makeTempDir('s2r-fuzz-');
  const cwd = process.cwd();
  let h: Harness;
  let projectDir: string;

  beforeAll(async () => {
    // Relative paths in payloads land here, a dozen folders deep inside the temp folder.
    const deep = join(tmp.path, ...Array.from({ length: 12 }, (_, i) => `d${i}`));
    mkdirSync(deep, { recursive: true });
    process.chdir(deep);
    h = await startHarness(join(tmp.path, 'home'));
    await seedProject(h, join(tmp.path, 'projects'));
    projectDir = h.backend.projects.require().dir;
  });
  afterAll(async () => {
    process.chdir(cwd);
    h?.dispose();
    tmp.cleanup();
  });

  it('rejects every malformed payload with a typed error; nothing throws; no prototype is polluted', async () => {
    const protoBefore = protoKeys();
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    const gen = new HostileGenerator(SEED);
    const problems: string[] = [];
    const codes: Record<string, number> = {};
    let sent = 0;
    let accepted = 0;
    const send = async (channel: unknown, payload: unknown, where: () => string) => {
      sent++;
      let result: WireResult<unknown>;
      try {
        result = await h.backend.dispatcher.dispatch(channel, payload);
      } catch (err) {
        problems.push(`${where()} threw ${String(err)}`);
        return;
      }
      if (result.ok) accepted++;
      else if (!WireError.safeParse(result.error).success) problems.push(`${where()} gave a malformed error ${preview(result)}`);
      else {
        codes[result.error.code] = (codes[result.error.code] ?? 0) + 1;
        if (result.error.code === 'INTERNAL') problems.push(`${where()} → INTERNAL ${result.error.message}`);
      }
      // Payloads that close, create or open projects would leave the rest of the run without data.
      if (h.backend.projects.current()?.dir !== projectDir) h.backend.projects.open(projectDir);
    };
    try {
      for (const channel of CHANNELS) {
        for (let i = 0; i < PER_CHANNEL; i++) {
          const payload = gen.payload(channel);
          await send(channel, payload, () => `seed ${SEED} ${channel} #${i} ${preview(payload)}`);
        }
      }
      for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'project:current ', 'PROJECT:CURRENT', '']) {
        await send(name, {}, () => `channel ${JSON.stringify(name)}`);
      }
      for (let i = 0; i < 100; i++) {
        const channel = gen.value();
        await send(channel, gen.value(), () => `seed ${SEED} channel #${i} ${preview(channel)}`);
      }
      await h.idle();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    console.log(`IPC fuzz, seed ${SEED}: ${sent} payloads, ${sent - accepted} rejected with typed errors ${JSON.stringify(codes)}, ${accepted} valid and answered`);
    expect(problems).toEqual([]);
    expect(unhandled).toEqual([]);
    expect(protoKeys()).toEqual(protoBefore);
    expect((({}) as Record<string, unknown>).polluted).toBeUndefined();
    expect(sent).toBeGreaterThanOrEqual(2000);
    expect((await h.ok<{ name: string }>('project:current')).name).toBeTruthy();
  });
});
