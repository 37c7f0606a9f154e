import type { Statement } from 'better-sqlite3';
import type { Db } from './projectDatabase';

/** Prepared statements by name, compiled on first use: SQL that depends on a query's shape stays cheap to reuse. */
export class StatementCache {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Db) {}

  get(key: string, sql: string): Statement {
    let statement = this.statements.get(key);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(key, statement);
    }
    return statement;
  }

  clear(): void {
    this.statements.clear();
  }
}
