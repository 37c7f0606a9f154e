/**
 * The process the crash test kills: it builds the backend exactly as the app does
 * (createBackend), opens the project (which resumes its queued jobs), and scans, infers or
 * labels through the dispatcher until the work is done — unless SIGKILL comes first.
 *
 *   node crashChild.mjs --home DIR --project DIR --phase scan|infer|label
 *
 * stdout lines: `ready`; `committed N` every 10 ms, read through a second connection, which sees
 * only committed rows; `answered ID` / `mask FRAME` after each label reply (so after its write);
 * `done N` at the end.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createBackend } from '../../main/app/composition';
import { packMask } from '../../main/labels/maskFiles';

const { values } = parseArgs({ options: { home: { type: 'string' }, project: { type: 'string' }, phase: { type: 'string' } } });
const phase = values.phase as 'scan' | 'infer' | 'label';
const say = (line: string) => process.stdout.write(`${line}\n`);

const COMMITTED_SQL = {
  scan: "SELECT count(*) FROM frames WHERE status != 'pending'",
  infer: 'SELECT count(*) FROM predictions',
  label: 'SELECT count(*) FROM label_spots WHERE answered_at IS NOT NULL',
} as const;

async function main(): Promise<void> {
  const backend = createBackend({ appHome: join(values.home!, 'app'), resourcesDir: join(values.home!, 'resources'), transport: 'web' });
  backend.projects.open(values.project!);
  const { db, scope } = backend.projects.require();
  const reader = new Database(join(values.project!, 'project.sqlite'), { readonly: true });
  const committed = reader.prepare(COMMITTED_SQL[phase]).pluck();
  setInterval(() => say(`committed ${committed.get() as number}`), 10).unref();
  const call = async (channel: string, payload: unknown) => {
    const result = await backend.dispatcher.dispatch(channel, payload);
    if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
    return result.value;
  };
  const hasJob = (kind: string) => db.prepare('SELECT 1 FROM jobs WHERE kind = ?').get(kind) !== undefined;
  say('ready');
  if (phase === 'scan') {
    if (!hasJob('scan')) await call('dataset:rescan', { datasetId: 1 });
    await scope.jobs.idle();
  } else if (phase === 'infer') {
    if (!hasJob('inference')) await call('inference:run', { datasetId: 1, modelIds: [1, 2] });
    await scope.jobs.idle();
  } else {
    const next = db.prepare('SELECT id, frame_id FROM label_spots WHERE answered_at IS NULL ORDER BY id LIMIT 1');
    for (let spot = next.get() as { id: number; frame_id: number } | undefined; spot; spot = next.get() as typeof spot) {
      await call('labels:answerSpot', { spotId: spot.id, trainId: spot.id % 19, cantTell: false });
      say(`answered ${spot.id}`);
      if (spot.id % 10 === 0) {
        const { width, height } = db.prepare('SELECT width, height FROM frames WHERE id = ?').get(spot.frame_id) as { width: number; height: number };
        await call('labels:saveMask', { frameId: spot.frame_id, mask: packMask({ width, height, data: new Uint8Array(width * height).fill(spot.id % 19) }) });
        say(`mask ${spot.frame_id}`);
      }
      // Answers come from a person: pacing them leaves the kills room to land between two.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
  say(`done ${committed.get() as number}`);
  reader.close();
  backend.dispose();
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
