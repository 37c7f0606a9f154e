import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RecentProject } from '../../common/contract';

interface RecentFile {
  last: string | null;
  projects: { path: string; name: string; openedAt: string }[];
}

const MAX_RECENT = 20;

/** The recent-projects list, kept as a small JSON file written atomically. */
export class RecentProjects {
  private readonly file: string;

  constructor(appHome: string) {
    this.file = join(appHome, 'recent.json');
  }

  list(): RecentProject[] {
    return this.read().projects.map((p) => ({ ...p, exists: existsSync(p.path) }));
  }

  last(): string | null {
    return this.read().last;
  }

  touch(path: string, name: string): void {
    const data = this.read();
    const projects = [
      { path, name, openedAt: new Date().toISOString() },
      ...data.projects.filter((p) => p.path !== path),
    ].slice(0, MAX_RECENT);
    this.write({ last: path, projects });
  }

  clearLast(): void {
    this.write({ ...this.read(), last: null });
  }

  private read(): RecentFile {
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as RecentFile;
      if (Array.isArray(parsed.projects)) return { last: parsed.last ?? null, projects: parsed.projects };
    } catch {
      // Missing or damaged: start a new list rather than refuse to start.
    }
    return { last: null, projects: [] };
  }

  private write(data: RecentFile): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(data, null, 2));
    renameSync(tmp, this.file);
  }
}
