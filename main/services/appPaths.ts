import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the app keeps its own state (recent projects, default project folder). */
export function defaultAppHome(): string {
  return process.env.SIM2REAL_HOME ?? join(homedir(), '.sim2real-studio');
}

export function defaultProjectsDir(appHome: string): string {
  return join(appHome, 'projects');
}

export const PROJECT_DB_FILE = 'project.sqlite';
export const PROJECT_CACHE_DIR = 'cache';
export const PROJECT_SUFFIX = '.s2r';
