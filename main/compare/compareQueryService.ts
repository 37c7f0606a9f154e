import type { Statement } from 'better-sqlite3';
import { NUM_TRAIN_CLASSES } from '../../common/classes';
import type {
  CompareFilter,
  CompareFrameDetail,
  CompareFrameRow,
  CompareModel,
  CompareSort,
  DatasetSummary,
  ModelRole,
} from '../../common/contract';
import { AppError } from '../../common/errors';
import type { Db } from '../db/projectDatabase';
import { StatementCache } from '../db/statementCache';

interface FrameRowDb {
  id: number;
  rel_path: string;
  has_label: number;
  width: number | null;
  height: number | null;
  disagreement: number | null;
  mean_entropy: number | null;
  synthetic_score: number | null;
}

interface PredictionRowDb {
  id: number;
  name: string;
  role: ModelRole;
  class_histogram: string | null;
  mean_confidence: number | null;
  mean_entropy: number | null;
  confidence_path: string | null;
  entropy_path: string | null;
  has_prediction: number;
}

export interface FramePageQuery {
  readonly datasetId: number;
  readonly sort: CompareSort;
  readonly filter: CompareFilter;
  readonly offset: number;
  readonly limit: number;
}

// The discriminator scores frames, it does not segment them: its rows never count as a
// segmentation's entropy.
const FRAME_COLUMNS = `
  f.id, f.rel_path, (f.label_path IS NOT NULL) AS has_label, f.width, f.height,
  s.disagreement, s.synthetic_score,
  (SELECT AVG(p.mean_entropy) FROM predictions p JOIN models m ON m.id = p.model_id
    WHERE p.frame_id = f.id AND m.role != 'discriminator') AS mean_entropy`;

const FRAME_FROM = 'FROM frames f LEFT JOIN frame_stats s ON s.frame_id = f.id';

// Fixed SQL per sort: the request only ever picks one of these, it never supplies SQL.
// Frames without the statistic go last, in dataset order, so "worst first" stays useful
// while inference is still filling the table.
const ORDER_BY: Record<CompareSort, string> = {
  index: 'f.sort_key, f.id',
  disagreement: 's.disagreement IS NULL, s.disagreement DESC, f.sort_key, f.id',
  entropy: 'mean_entropy IS NULL, mean_entropy DESC, f.sort_key, f.id',
  synthetic: 's.synthetic_score IS NULL, s.synthetic_score DESC, f.sort_key, f.id',
};

const WHERE_CLASS_PRESENT = `(
  (json_valid(f.class_histogram) AND json_extract(f.class_histogram, @classPath) > 0)
  OR EXISTS (SELECT 1 FROM predictions p JOIN models m ON m.id = p.model_id
    WHERE p.frame_id = f.id AND m.role != 'discriminator'
      AND json_valid(p.class_histogram) AND json_extract(p.class_histogram, @classPath) > 0))`;

/**
 * Read-only queries behind the compare view: pages of frames with their statistics,
 * sorted and filtered so the frames where the models differ most come first, and one
 * frame's per-model prediction summary. It never writes; inference fills the tables.
 */
export class CompareQueryService {
  private readonly statements: StatementCache;

  constructor(db: Db) {
    this.statements = new StatementCache(db);
  }

  models(): CompareModel[] {
    return this.prepare('models', 'SELECT id, name, role FROM models ORDER BY id').all() as CompareModel[];
  }

  frames(query: FramePageQuery): { total: number; frames: CompareFrameRow[] } {
    this.requireDataset(query.datasetId);
    const { where, params } = whereClause(query);
    const total = (
      this.prepare(`count:${where}`, `SELECT count(*) AS n ${FRAME_FROM} WHERE ${where}`).get(params) as { n: number }
    ).n;
    const rows = this.prepare(
      `page:${query.sort}:${where}`,
      `SELECT ${FRAME_COLUMNS} ${FRAME_FROM} WHERE ${where} ORDER BY ${ORDER_BY[query.sort]} LIMIT @limit OFFSET @offset`,
    ).all({ ...params, limit: query.limit, offset: query.offset }) as FrameRowDb[];
    return { total, frames: rows.map(frameRow) };
  }

  frame(frameId: number): CompareFrameDetail {
    const row = this.prepare('frame', `SELECT ${FRAME_COLUMNS}, f.dataset_id ${FRAME_FROM} WHERE f.id = ?`).get(frameId) as
      | (FrameRowDb & { dataset_id: number })
      | undefined;
    if (!row) throw new AppError('NOT_FOUND', `frame ${frameId}: no such frame`);
    const dataset = this.requireDataset(row.dataset_id);
    const predictions = this.prepare(
      'predictions',
      `SELECT m.id, m.name, m.role, p.class_histogram, p.mean_confidence, p.mean_entropy,
              p.confidence_path, p.entropy_path, (p.frame_id IS NOT NULL) AS has_prediction
       FROM models m LEFT JOIN predictions p ON p.model_id = m.id AND p.frame_id = ?
       WHERE m.role != 'discriminator' ORDER BY m.id`,
    ).all(frameId) as PredictionRowDb[];
    return {
      frame: frameRow(row),
      dataset,
      hasLabel: row.has_label === 1,
      models: predictions.map((p) => ({
        id: p.id,
        name: p.name,
        role: p.role,
        prediction: p.has_prediction
          ? {
              histogram: parseHistogram(p.class_histogram),
              meanConfidence: p.mean_confidence,
              meanEntropy: p.mean_entropy,
              hasConfidence: p.confidence_path !== null,
              hasEntropy: p.entropy_path !== null,
            }
          : null,
      })),
    };
  }

  dispose(): void {
    this.statements.clear();
  }

  private requireDataset(id: number): { id: number; name: string; role: DatasetSummary['role'] } {
    const dataset = this.prepare('dataset', 'SELECT id, name, role FROM datasets WHERE id = ?').get(id) as
      | { id: number; name: string; role: DatasetSummary['role'] }
      | undefined;
    if (!dataset) throw new AppError('NOT_FOUND', `dataset ${id}: no such dataset`);
    return dataset;
  }

  private prepare(key: string, sql: string): Statement {
    return this.statements.get(key, sql);
  }
}

function whereClause(query: FramePageQuery): { where: string; params: Record<string, number | string> } {
  const parts = ['f.dataset_id = @datasetId'];
  const params: Record<string, number | string> = { datasetId: query.datasetId };
  if (query.filter.labelled !== undefined) {
    parts.push(query.filter.labelled ? 'f.label_path IS NOT NULL' : 'f.label_path IS NULL');
  }
  if (query.filter.classPresent !== undefined) {
    parts.push(WHERE_CLASS_PRESENT);
    // Built here rather than in SQL: numbers bind as REAL, and '$[13.0]' is not a JSON path.
    params.classPath = `$[${query.filter.classPresent}]`;
  }
  return { where: parts.join(' AND '), params };
}

function frameRow(row: FrameRowDb): CompareFrameRow {
  return {
    id: row.id,
    relPath: row.rel_path,
    hasLabel: row.has_label === 1,
    width: row.width,
    height: row.height,
    disagreement: row.disagreement,
    meanEntropy: row.mean_entropy,
    syntheticScore: row.synthetic_score,
  };
}

/** Histograms are JSON arrays of pixel counts per trainId; anything else reads as empty. */
function parseHistogram(text: string | null): number[] {
  const counts = new Array<number>(NUM_TRAIN_CLASSES).fill(0);
  if (!text) return counts;
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) {
      for (let i = 0; i < NUM_TRAIN_CLASSES; i++) {
        const n = Number(parsed[i]);
        counts[i] = Number.isFinite(n) && n > 0 ? n : 0;
      }
    }
  } catch {
    // A histogram that does not parse is reported as empty rather than failing the frame.
  }
  return counts;
}
