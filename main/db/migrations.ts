/**
 * Versioned schema of a project database. Each entry upgrades the database from
 * version (index) to version (index + 1); `PRAGMA user_version` records where a file is.
 * Never edit a migration that has shipped: add a new one.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'projects, datasets, frames, models, runs, predictions, labels, metrics',
    sql: `
      CREATE TABLE project_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      CREATE TABLE datasets (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('sim', 'dashcam')),
        root TEXT NOT NULL,
        format TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        UNIQUE (root, role)
      );
      CREATE TABLE frames (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        rel_path TEXT NOT NULL,
        label_path TEXT,
        width INTEGER,
        height INTEGER,
        size_bytes INTEGER NOT NULL,
        mtime_ms INTEGER NOT NULL,
        sort_key INTEGER NOT NULL DEFAULT 0,
        UNIQUE (dataset_id, rel_path)
      );
      CREATE INDEX frames_by_dataset_order ON frames (dataset_id, sort_key);
      CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('source_only', 'adapted', 'oracle', 'discriminator', 'custom')),
        path TEXT NOT NULL,
        card_json TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'cancelled', 'failed')),
        provider TEXT,
        error TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        finished_at TEXT
      );
      CREATE TABLE run_models (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        PRIMARY KEY (run_id, model_id)
      );
      CREATE TABLE predictions (
        frame_id INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
        model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
        mask_path TEXT NOT NULL,
        confidence_path TEXT,
        entropy_path TEXT,
        class_histogram TEXT NOT NULL,
        mean_entropy REAL,
        mean_confidence REAL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        PRIMARY KEY (frame_id, model_id)
      );
      CREATE TABLE frame_stats (
        frame_id INTEGER PRIMARY KEY REFERENCES frames(id) ON DELETE CASCADE,
        disagreement REAL,
        synthetic_score REAL
      );
      CREATE TABLE label_spots (
        id INTEGER PRIMARY KEY,
        frame_id INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
        x INTEGER NOT NULL,
        y INTEGER NOT NULL,
        train_id INTEGER,
        cant_tell INTEGER NOT NULL DEFAULT 0,
        sampler TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        UNIQUE (frame_id, x, y)
      );
      CREATE TABLE label_masks (
        frame_id INTEGER PRIMARY KEY REFERENCES frames(id) ON DELETE CASCADE,
        mask_path TEXT NOT NULL,
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE TABLE metrics (
        id INTEGER PRIMARY KEY,
        model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        source TEXT NOT NULL,
        miou REAL,
        pixel_accuracy REAL,
        confusion_json TEXT NOT NULL,
        computed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        params_json TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'cancelled', 'failed')),
        done INTEGER NOT NULL DEFAULT 0,
        total INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
    `,
  },
  {
    version: 2,
    description: 'per-file dataset issues and label class histograms',
    sql: `
      CREATE TABLE dataset_issues (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        rel_path TEXT NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        UNIQUE (dataset_id, rel_path, code)
      );
      ALTER TABLE frames ADD COLUMN class_histogram TEXT;
      ALTER TABLE datasets ADD COLUMN scanned_at TEXT;
    `,
  },
  {
    version: 3,
    description: 'held-out ground truth folders, label file stamps, per-frame validation status',
    sql: `
      ALTER TABLE datasets ADD COLUMN gt_root TEXT;
      ALTER TABLE frames ADD COLUMN label_size_bytes INTEGER;
      ALTER TABLE frames ADD COLUMN label_mtime_ms INTEGER;
      ALTER TABLE frames ADD COLUMN status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'ok', 'bad_image', 'bad_label'));
    `,
  },
  {
    version: 4,
    description: 'spot weights and answer times, the full-frame labelling queue, the per-frame evaluation cache',
    sql: `
      ALTER TABLE label_spots ADD COLUMN weight REAL NOT NULL DEFAULT 1;
      ALTER TABLE label_spots ADD COLUMN seed INTEGER;
      ALTER TABLE label_spots ADD COLUMN answered_at TEXT;
      CREATE INDEX label_spots_by_sampler ON label_spots (sampler, id);
      CREATE TABLE label_frame_queue (
        frame_id INTEGER PRIMARY KEY REFERENCES frames(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        seed INTEGER,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE TABLE metric_cache (
        frame_id INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
        model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        stamp TEXT NOT NULL,
        data TEXT,
        PRIMARY KEY (frame_id, model_id, kind)
      );
    `,
  },
  {
    version: 5,
    description: 'listed frames waiting for validation, kept as compact runs instead of one row each',
    sql: `
      CREATE TABLE frame_listing (
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        first_sort_key INTEGER NOT NULL,
        rels TEXT NOT NULL,
        labels TEXT,
        count INTEGER NOT NULL,
        done INTEGER NOT NULL DEFAULT 0,
        labelled_left INTEGER NOT NULL,
        PRIMARY KEY (dataset_id, first_sort_key)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    description: 'each run counts the frames it wrote and the time between its commits, for the run list',
    sql: `
      ALTER TABLE runs ADD COLUMN frames_written INTEGER NOT NULL DEFAULT 0;
      -- Frames committed after another frame of the same pass, and the milliseconds since that one:
      -- their ratio is the speed without start-up or the time a run stood cancelled or killed.
      ALTER TABLE runs ADD COLUMN timed_frames INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE runs ADD COLUMN busy_ms REAL NOT NULL DEFAULT 0;
      -- Earlier runs: one pass from their first commit to their last (one pass over predictions,
      -- which has no run_id index, not one per run).
      WITH written AS (
        SELECT run_id, COUNT(DISTINCT frame_id) AS n, (julianday(MAX(created_at)) - julianday(MIN(created_at))) * 86400000 AS ms
        FROM predictions WHERE run_id IS NOT NULL GROUP BY run_id
      )
      UPDATE runs SET frames_written = written.n, timed_frames = MAX(written.n - 1, 0), busy_ms = written.ms
      FROM written WHERE written.run_id = runs.id;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
