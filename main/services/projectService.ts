import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { ProjectSummary, RecentProject } from '../../common/contract';
import { AppError } from '../../common/errors';
import { openProjectDatabase, schemaVersion, type Db } from '../db/projectDatabase';
import { PROJECT_CACHE_DIR, PROJECT_DB_FILE, PROJECT_SUFFIX } from './appPaths';
import type { EventBus } from './eventBus';
import { makeDirsSync } from './safeWrite';
import { RecentProjects } from './recentProjects';

/** Per-project services; built when a project opens and disposed when it closes. */
export interface ProjectScope {
  dispose(): void;
}

export interface OpenProject<S extends ProjectScope = ProjectScope> {
  readonly dir: string;
  readonly db: Db;
  readonly cacheDir: string;
  readonly scope: S;
}

export type ScopeFactory<S extends ProjectScope> = (project: { dir: string; db: Db; cacheDir: string }) => S;

/** Creates, opens, renames and closes projects; one project is open at a time. */
export class ProjectService<S extends ProjectScope = ProjectScope> {
  private open_: OpenProject<S> | null = null;
  private readonly recent: RecentProjects;

  constructor(
    appHome: string,
    private readonly projectsDir: string,
    private readonly events: EventBus,
    private readonly makeScope: ScopeFactory<S>,
  ) {
    this.recent = new RecentProjects(appHome);
  }

  current(): OpenProject<S> | null {
    return this.open_;
  }

  require(): OpenProject<S> {
    if (!this.open_) throw new AppError('NO_PROJECT', 'No project is open');
    return this.open_;
  }

  summary(): ProjectSummary | null {
    return this.open_ ? summarise(this.open_) : null;
  }

  recentProjects(): RecentProject[] {
    return this.recent.list();
  }

  create(name: string, parentDir?: string): ProjectSummary {
    const parent = resolve(parentDir ?? this.projectsDir);
    const dir = join(parent, `${slug(name)}${PROJECT_SUFFIX}`);
    if (existsSync(dir)) throw new AppError('PROJECT_EXISTS', `${dir}: a project with this name already exists`);
    makeProjectDirs(dir);
    const db = openProjectDatabase(join(dir, PROJECT_DB_FILE));
    const put = db.prepare('INSERT OR REPLACE INTO project_meta (key, value) VALUES (?, ?)');
    db.transaction(() => {
      put.run('name', name);
      put.run('created_at', new Date().toISOString());
    })();
    return this.activate(dir, db);
  }

  open(path: string): ProjectSummary {
    const dir = projectDirOf(resolve(path));
    const file = join(dir, PROJECT_DB_FILE);
    if (!existsSync(file)) throw new AppError('NOT_FOUND', `${file}: no project database here`);
    if (this.open_?.dir === dir) return summarise(this.open_);
    const db = openProjectDatabase(file);
    try {
      makeProjectDirs(dir);
    } catch (err) {
      db.close();
      throw err;
    }
    return this.activate(dir, db);
  }

  /** Reopens the last project; a missing or broken one is forgotten, not fatal. */
  reopenLast(): ProjectSummary | null {
    const last = this.recent.last();
    if (!last || !existsSync(last)) return null;
    try {
      return this.open(last);
    } catch {
      this.recent.clearLast();
      return null;
    }
  }

  rename(name: string): ProjectSummary {
    const project = this.require();
    project.db.prepare("INSERT OR REPLACE INTO project_meta (key, value) VALUES ('name', ?)").run(name);
    const summary = summarise(project);
    this.recent.touch(project.dir, summary.name);
    this.events.emit({ type: 'project', project: summary });
    return summary;
  }

  close(): void {
    if (!this.open_) return;
    const { scope, db } = this.open_;
    this.open_ = null;
    scope.dispose();
    db.close();
    this.recent.clearLast();
    this.events.emit({ type: 'project', project: null });
  }

  dispose(): void {
    if (!this.open_) return;
    this.open_.scope.dispose();
    this.open_.db.close();
    this.open_ = null;
  }

  private activate(dir: string, db: Db): ProjectSummary {
    this.dispose();
    const cacheDir = join(dir, PROJECT_CACHE_DIR);
    let scope: S;
    try {
      scope = this.makeScope({ dir, db, cacheDir });
    } catch (err) {
      db.close();
      throw err;
    }
    this.open_ = { dir, db, cacheDir, scope };
    const summary = summarise(this.open_);
    this.recent.touch(dir, summary.name);
    this.events.emit({ type: 'project', project: summary });
    return summary;
  }
}

function summarise(project: { dir: string; db: Db }): ProjectSummary {
  const meta = new Map(
    (project.db.prepare('SELECT key, value FROM project_meta').all() as { key: string; value: string }[]).map((r) => [
      r.key,
      r.value,
    ]),
  );
  return {
    path: project.dir,
    name: meta.get('name') ?? basename(project.dir, PROJECT_SUFFIX),
    schemaVersion: schemaVersion(project.db),
    createdAt: meta.get('created_at') ?? '',
  };
}

function projectDirOf(path: string): string {
  if (existsSync(path) && statSync(path).isFile()) return resolve(path, '..');
  return path;
}

/** The project folder and its cache; a parent the user named that cannot hold them is their error to fix. */
function makeProjectDirs(dir: string): void {
  try {
    makeDirsSync(join(dir, PROJECT_CACHE_DIR));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new AppError('BAD_REQUEST', `${dir}: cannot create the project's folders here (${code})`);
  }
}

function slug(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[^\w\- ]+/g, '')
    .trim()
    .replace(/\s+/g, '-')
    .slice(0, 80);
  return s.length > 0 ? s : 'project';
}
