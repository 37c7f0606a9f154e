import Database from 'better-sqlite3';
import { copyFileSync, existsSync } from 'node:fs';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations';
import { AppError } from '../../common/errors';

export type Db = Database.Database;

export interface OpenOptions {
  /** Stop after this version (tests build old databases with it). */
  readonly targetVersion?: number;
  /** Path to an Electron-ABI build of better-sqlite3 (set by the Electron shell). */
  readonly nativeBinding?: string;
}

let defaultNativeBinding: string | undefined;

/** The Electron shell calls this once so every database opens with the Electron-ABI addon. */
export function setSqliteNativeBinding(path: string | undefined): void {
  defaultNativeBinding = path;
}

/**
 * Opens (or creates) a project database: WAL, foreign keys, and the schema migrated
 * to the current version. A copy of the file is made before any migration touches it.
 */
export function openProjectDatabase(file: string, options: OpenOptions = {}): Db {
  const existed = existsSync(file);
  let db: Db | undefined;
  try {
    const nativeBinding = options.nativeBinding ?? defaultNativeBinding;
    db = new Database(file, nativeBinding ? { nativeBinding } : {});
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    // Reading the schema fails fast on a file that is not SQLite.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    db?.close();
    throw new AppError('PROJECT_CORRUPT', `${file}: not a readable project database (${(err as Error).message})`);
  }
  // A damaged file (cut short, pages overwritten) still opens and reads its schema; left open it
  // fails query by query later. quick_check reads every page once: 0.1 s for a 30 MB project.
  let damage: string;
  try {
    damage = existed ? String(db.pragma('quick_check(1)', { simple: true })) : 'ok';
  } catch (err) {
    damage = (err as Error).message;
  }
  if (damage !== 'ok') {
    db.close();
    throw new AppError('PROJECT_CORRUPT', `${file}: the project database is damaged (${damage.slice(0, 200)}); restore it from a backup (a project.sqlite.v*.bak beside it, if any)`);
  }
  try {
    migrate(db, file, existed, options.targetVersion ?? SCHEMA_VERSION);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Db, file: string, existed: boolean, target: number): void {
  const current = schemaVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new AppError(
      'PROJECT_TOO_NEW',
      `${file}: made by a newer Sim2Real Studio (schema ${current}, this version reads up to ${SCHEMA_VERSION})`,
    );
  }
  const pending = MIGRATIONS.filter((m) => m.version > current && m.version <= target);
  if (pending.length === 0) return;
  if (existed && current > 0) backupBeforeMigration(db, file, current);
  for (const migration of pending) applyMigration(db, migration);
}

function backupBeforeMigration(db: Db, file: string, version: number): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  copyFileSync(file, `${file}.v${version}.${stamp}.bak`);
}

function applyMigration(db: Db, migration: Migration): void {
  db.transaction(() => {
    db.exec(migration.sql);
    db.pragma(`user_version = ${migration.version}`);
  })();
}
