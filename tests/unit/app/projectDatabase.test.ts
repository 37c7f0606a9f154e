import Database from 'better-sqlite3';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../main/db/migrations';
import { openProjectDatabase, schemaVersion } from '../../../main/db/projectDatabase';
import { makeTempDir } from '../../helpers/tempDir';

let dir: { path: string; cleanup: () => void };
beforeEach(() => (dir = makeTempDir()));
afterEach(() => dir.cleanup());

const tables = (db: Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
    (r) => r.name,
  );

describe('project database', () => {
  it('creates the full schema with WAL and foreign keys on', () => {
    const db = openProjectDatabase(join(dir.path, 'p.sqlite'));
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(tables(db)).toEqual(
      expect.arrayContaining(['datasets', 'frames', 'models', 'runs', 'predictions', 'label_spots', 'label_masks', 'metrics', 'jobs', 'dataset_issues']),
    );
    db.close();
  });

  it('upgrades a database made by the first migration, keeping its rows, after backing it up', () => {
    const file = join(dir.path, 'old.sqlite');
    const v1 = openProjectDatabase(file, { targetVersion: 1 });
    expect(schemaVersion(v1)).toBe(1);
    expect(tables(v1)).not.toContain('dataset_issues');
    v1.prepare("INSERT INTO datasets (name, role, root, format) VALUES ('sim', 'sim', '/data/sim', 'gta5')").run();
    v1.prepare("INSERT INTO frames (dataset_id, rel_path, size_bytes, mtime_ms) VALUES (1, 'images/00001.png', 10, 1)").run();
    v1.close();

    const upgraded = openProjectDatabase(file);
    expect(schemaVersion(upgraded)).toBe(MIGRATIONS.at(-1)!.version);
    expect(tables(upgraded)).toContain('dataset_issues');
    expect(upgraded.prepare('SELECT rel_path, class_histogram FROM frames').all()).toEqual([
      { rel_path: 'images/00001.png', class_histogram: null },
    ]);
    upgraded.close();

    const backups = readdirSync(dir.path).filter((f) => f.startsWith('old.sqlite.v1.') && f.endsWith('.bak'));
    expect(backups).toHaveLength(1);
    const backup = new Database(join(dir.path, backups[0]!), { readonly: true });
    expect(backup.pragma('user_version', { simple: true })).toBe(1);
    expect(backup.prepare('SELECT count(*) AS n FROM frames').get()).toEqual({ n: 1 });
    backup.close();
  });

  it('counts the frames each earlier run wrote, and the time from its first commit to its last, when upgrading to version 6', () => {
    const file = join(dir.path, 'v5.sqlite');
    const v5 = openProjectDatabase(file, { targetVersion: 5 });
    v5.exec(`
      INSERT INTO datasets (name, role, root, format) VALUES ('cam', 'dashcam', '/data/cam', 'folder');
      INSERT INTO frames (dataset_id, rel_path, size_bytes, mtime_ms) VALUES (1, 'a.jpg', 1, 1), (1, 'b.jpg', 1, 1), (1, 'c.jpg', 1, 1);
      INSERT INTO models (name, role, path, sha256, card_json) VALUES ('m1', 'source_only', '/m1.onnx', 'x', '{}'), ('m2', 'adapted', '/m2.onnx', 'y', '{}');
      INSERT INTO runs (dataset_id, status) VALUES (1, 'done'), (1, 'done'), (1, 'cancelled');
      INSERT INTO predictions (frame_id, model_id, run_id, mask_path, class_histogram, created_at) VALUES
        (1, 1, 1, 'p', '[]', '2026-12-01T10:00:00.000Z'), (1, 2, 1, 'p', '[]', '2026-12-01T10:00:00.000Z'),
        (2, 1, 1, 'p', '[]', '2026-12-01T10:00:02.000Z'), (2, 2, 1, 'p', '[]', '2026-12-01T10:00:02.500Z'),
        (3, 1, 2, 'p', '[]', '2026-12-01T11:00:00.000Z');
    `);
    v5.close();
    const db = openProjectDatabase(file);
    expect(db.prepare('SELECT id, frames_written, timed_frames, busy_ms FROM runs ORDER BY id').all()).toEqual([
      { id: 1, frames_written: 2, timed_frames: 1, busy_ms: expect.closeTo(2500, 1) },
      { id: 2, frames_written: 1, timed_frames: 0, busy_ms: 0 },
      { id: 3, frames_written: 0, timed_frames: 0, busy_ms: 0 },
    ]);
    db.close();
  });

  it('does not back up a brand-new database', () => {
    openProjectDatabase(join(dir.path, 'new.sqlite')).close();
    expect(readdirSync(dir.path).filter((f) => f.endsWith('.bak'))).toEqual([]);
  });

  it('refuses a database from a newer version without touching it', () => {
    const file = join(dir.path, 'future.sqlite');
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    db.close();
    expect(() => openProjectDatabase(file)).toThrow(/newer Sim2Real Studio/);
    const again = new Database(file);
    expect(again.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 5);
    again.close();
  });

  it('names the file when it is not a database', () => {
    const file = join(dir.path, 'garbage.sqlite');
    writeFileSync(file, 'this is not sqlite at all, just some text that is long enough'.repeat(100));
    expect(() => openProjectDatabase(file)).toThrow(new RegExp(`${file.replace(/[/.]/g, '\\$&')}: not a readable project database`));
  });

  it('enforces foreign keys', () => {
    const db = openProjectDatabase(join(dir.path, 'fk.sqlite'));
    expect(() =>
      db.prepare("INSERT INTO frames (dataset_id, rel_path, size_bytes, mtime_ms) VALUES (99, 'x.png', 1, 1)").run(),
    ).toThrow(/FOREIGN KEY/);
    db.close();
  });
});
