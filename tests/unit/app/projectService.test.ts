import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../../common/contract';
import { EventBus } from '../../../main/services/eventBus';
import { ProjectService } from '../../../main/services/projectService';
import { makeTempDir } from '../../helpers/tempDir';

let dir: { path: string; cleanup: () => void };
let events: AppEvent[];
let disposed: string[];

function service(): ProjectService {
  const bus = new EventBus();
  bus.subscribe((e) => events.push(e));
  return new ProjectService(join(dir.path, 'home'), join(dir.path, 'projects'), bus, ({ dir: d }) => ({
    dispose: () => disposed.push(d),
  }));
}

beforeEach(() => {
  dir = makeTempDir();
  events = [];
  disposed = [];
});
afterEach(() => dir.cleanup());

describe('ProjectService', () => {
  it('creates a project folder with its database and cache, and reports it', () => {
    const projects = service();
    const summary = projects.create('Town 03 vs dashcam');
    expect(summary.name).toBe('Town 03 vs dashcam');
    expect(summary.path).toBe(join(dir.path, 'projects', 'Town-03-vs-dashcam.s2r'));
    expect(existsSync(join(summary.path, 'project.sqlite'))).toBe(true);
    expect(existsSync(join(summary.path, 'cache'))).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'project', project: summary });
    projects.dispose();
  });

  it('refuses to create over an existing project', () => {
    const projects = service();
    projects.create('A');
    expect(() => projects.create('A')).toThrow(/already exists/);
    projects.dispose();
  });

  it('renames, closes, lists recent projects, and reopens the last one in a new process', () => {
    const first = service();
    const a = first.create('Alpha');
    const b = first.create('Beta');
    expect(disposed).toEqual([a.path]);
    first.rename('Beta renamed');
    first.dispose();

    const second = service();
    const reopened = second.reopenLast();
    expect(reopened?.path).toBe(b.path);
    expect(reopened?.name).toBe('Beta renamed');
    expect(second.recentProjects().map((r) => r.name)).toEqual(['Beta renamed', 'Alpha']);
    second.open(a.path);
    expect(second.summary()?.name).toBe('Alpha');
    second.close();
    expect(second.summary()).toBeNull();
    expect(events.at(-1)).toEqual({ type: 'project', project: null });
    second.dispose();

    // After an explicit close, the next start opens nothing.
    expect(service().reopenLast()).toBeNull();
  });

  it('opens a project by its database file too, and names a missing one', () => {
    const projects = service();
    const a = projects.create('Gamma');
    projects.close();
    expect(projects.open(join(a.path, 'project.sqlite')).name).toBe('Gamma');
    expect(() => projects.open(join(dir.path, 'nowhere'))).toThrow(/nowhere.*no project database/);
    projects.dispose();
  });

  it('forgets a last project that has been deleted instead of failing to start', () => {
    const projects = service();
    const a = projects.create('Delta');
    projects.dispose();
    rmSync(a.path, { recursive: true });
    const again = service();
    expect(again.reopenLast()).toBeNull();
    expect(again.recentProjects()[0]).toMatchObject({ name: 'Delta', exists: false });
  });
});
