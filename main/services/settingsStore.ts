import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const SETTINGS_FILE = 'settings.json';

/**
 * App-wide settings in the app home's settings.json, one top-level key per owner so services
 * never overwrite each other's entries. A missing or unreadable file reads as empty: settings
 * are preferences, and losing them must not stop the app from starting.
 */
export class SettingsStore {
  private readonly file: string;

  constructor(appHome: string) {
    this.file = join(appHome, SETTINGS_FILE);
  }

  get(key: string): unknown {
    return this.read()[key];
  }

  set(key: string, value: unknown): void {
    const all = this.read();
    if (value === undefined) delete all[key];
    else all[key] = value;
    mkdirSync(dirname(this.file), { recursive: true });
    // Write then rename, so a crash mid-write leaves the previous file rather than half a file.
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`);
    renameSync(tmp, this.file);
  }

  private read(): Record<string, unknown> {
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
}
